import { stripeGateway } from "./support/gateway.ts";
import { stripeProofs } from "./support/stripe-proofs.ts";

const stripe = stripeGateway();

// Inside workerd, with examples/stripe/wrangler.toml's config as shipped, in front of the Stripe-like origin.
stripeProofs(() => stripe);
