import { startErplyOrigin } from "../../examples/erply/origin.ts";
import { erplyProofs } from "../support/erply-proofs.ts";
import { useBundledStack } from "./support/stack.ts";

// The example's bindings and config as shipped; only the origin's port differs.
const stack = useBundledStack({ origin: startErplyOrigin, example: "examples/erply/wrangler.toml" });

// The bundled Worker on Miniflare over real HTTP, in front of the Erply-like origin on 127.0.0.1.
erplyProofs(() => ({ send: (request) => fetch(request), base: stack().worker.url.href, originUrl: stack().origin.url }));
