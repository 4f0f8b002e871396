import type { Example } from "../../scripts/example-declaration.ts";

/** `npm run example -- in-worker`: README.md beside this file. The API is in the Worker itself, so no origin starts. */
export default {
  summary: "Idem and an itty-router orders API in one Worker, reached through a named entrypoint of the same Worker",
  wranglerConfig: "wrangler.toml",
  sample: {
    method: "POST",
    path: "/orders",
    headers: { Authorization: "Bearer me", "Idempotency-Key": "order-1" },
    json: { item: "lamp", quantity: 2 },
  },
} satisfies Example;
