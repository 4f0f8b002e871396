import type { Example } from "../scripts/example-declaration.ts";
import { startOrdersOrigin } from "./orders-origin.ts";

/** `npm start`: the top-level wrangler.toml in front of the orders demo origin (demo/orders-origin.ts). */
export default {
  summary: "the quick start: Idem in front of a small orders API (wrangler.toml, demo/orders-origin.ts)",
  wranglerConfig: "../wrangler.toml",
  origins: { origin: { port: 8788, start: (port) => startOrdersOrigin({ port }) } },
  sample: {
    method: "POST",
    path: "/orders",
    headers: { Authorization: "Bearer demo-user", "Idempotency-Key": "order-1" },
    json: { item: "book" },
  },
} satisfies Example;
