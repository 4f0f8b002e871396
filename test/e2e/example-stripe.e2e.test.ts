import { startStripeOrigin } from "../../examples/stripe/origin.ts";
import { stripeProofs } from "../support/stripe-proofs.ts";
import { useBundledStack } from "./support/stack.ts";

// The example's bindings and config as shipped; only the origin differs.
const stack = useBundledStack({ origin: startStripeOrigin, example: "examples/stripe/wrangler.toml" });

// The bundled Worker on Miniflare over real HTTP, in front of the Stripe-like origin on 127.0.0.1.
stripeProofs(() => ({ send: (request) => fetch(request), base: stack().worker.url.href, originUrl: stack().origin.url }));
