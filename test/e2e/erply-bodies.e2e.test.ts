import { startErplyOrigin } from "../../examples/erply/origin.ts";
import { erplyBodyProofs } from "../support/body-proofs.ts";
import { useBundledStack } from "./support/stack.ts";

const stack = useBundledStack({ origin: startErplyOrigin, example: "examples/erply/wrangler.toml" });

// The bundled Worker built from examples/erply/wrangler.toml, in front of the Erply-like (PHP-reading) origin on 127.0.0.1.
erplyBodyProofs(() => ({ send: (request) => fetch(request), base: stack().worker.url.href, originUrl: stack().origin.url }));
