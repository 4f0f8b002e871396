import { startOrdersOrigin } from "../../demo/orders-origin.ts";
import { BODY_ROUTES, bodyProofs } from "../support/body-proofs.ts";
import { useBundledStack } from "./support/stack.ts";

const stack = useBundledStack({ origin: startOrdersOrigin, routes: BODY_ROUTES });

// The bundled Worker on Miniflare over real HTTP, in front of the orders demo origin on 127.0.0.1.
bodyProofs(() => ({ send: (request) => fetch(request), base: stack().worker.url.href, originUrl: stack().origin.url }));
