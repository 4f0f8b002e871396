import { env } from "cloudflare:workers";
import { loadConfig } from "./config/load.ts";
import type { Env } from "./env.ts";
import { createGateway } from "./gateway/gateway.ts";

export { DocumentObject } from "./objects/document-object.ts";
export { KeyObject } from "./objects/key-object.ts";

// Validated at start-up: a bad config stops `wrangler dev` and `wrangler deploy`, naming the field.
const gateway = createGateway(loadConfig(env.IDEM_CONFIG));

export default {
  fetch: (request, env) => gateway.fetch(request, env),
} satisfies ExportedHandler<Env>;
