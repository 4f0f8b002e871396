import { startOrdersOrigin } from "../../demo/orders-origin.ts";
import type { Example } from "../../scripts/example-declaration.ts";

/** `npm run example -- commerce`: README.md beside this file. */
export default {
  summary: "Idem in front of a commerce API of 112 routes over three back ends: two URL origins (one with a credential secret) and a bound Worker",
  wranglerConfig: "wrangler.toml",
  origins: {
    origin: { port: 8791, start: (port) => startOrdersOrigin({ port }) },
    "origins.payments": { port: 8792, start: (port) => startOrdersOrigin({ port }) },
  },
  boundWorkers: { "commerce-customers": "customers-worker.ts" },
  sample: {
    method: "POST",
    path: "/orders",
    headers: { Authorization: "Bearer shop-key-1", "Idempotency-Key": "order-1" },
    json: { customerId: "c1", cartId: "k1", lines: [{ sku: "A", quantity: 1 }] },
  },
} satisfies Example;
