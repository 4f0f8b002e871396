import type { Example } from "../../scripts/example-declaration.ts";
import { startStripeOrigin } from "./origin.ts";

/** `npm run example -- stripe`: README.md beside this file. */
export default {
  summary: "Idem in front of a Stripe-style API: Stripe's Idempotency-Key promises, v1 (forms) and v2 (JSON)",
  wranglerConfig: "wrangler.toml",
  origins: { origin: { port: 8788, start: (port) => startStripeOrigin({ port }) } },
  sample: {
    method: "POST",
    path: "/v2/customers",
    headers: { Authorization: "Bearer sk_test_local", "Idempotency-Key": "customer-1" },
    json: { email: "jenny@example.com" },
  },
} satisfies Example;
