import type { Example } from "../../scripts/example-declaration.ts";
import { startPrintoneOrigin } from "./origin.ts";

/** `npm run example -- printone`: README.md beside this file. */
export default {
  summary: "Idem in front of a Print.one-style API: one order per customer and one mailing per address within 24 h, keys built from the body",
  wranglerConfig: "wrangler.toml",
  origins: { origin: { port: 8788, start: (port) => startPrintoneOrigin({ port }) } },
  // No Idempotency-Key: the route builds the key from customerId.
  sample: { method: "POST", path: "/v2/orders", headers: { "X-API-Key": "pk_test_shop" }, json: { customerId: "cus_1", templateId: "card-a" } },
} satisfies Example;
