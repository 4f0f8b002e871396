import { startOrdersOrigin } from "../../demo/orders-origin.ts";
import { ENCODING_ROUTES, encodingProofs } from "../support/encoding-proofs.ts";
import { useBundledStack } from "./support/stack.ts";

const stack = useBundledStack({ origin: startOrdersOrigin, routes: ENCODING_ROUTES });

// The bundled Worker on Miniflare over real HTTP, in front of the orders demo origin on 127.0.0.1.
encodingProofs(() => ({ send: (request) => fetch(request), base: stack().worker.url.href, originUrl: stack().origin.url }));
