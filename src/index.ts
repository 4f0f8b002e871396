import { env } from "cloudflare:workers";
// The config file that wrangler.toml's `alias` bundles (TOML text or a JSON object), or nothing.
import configFile from "#idem-config" with { type: "text" };
import { loadConfigFrom } from "./config/sources.ts";
import type { Env } from "./env.ts";
import { createGateway } from "./gateway/gateway.ts";

export { DocumentObject } from "./objects/document-object.ts";
export { KeyObject } from "./objects/key-object.ts";

// Validated at start-up: a bad config stops `wrangler dev` and `wrangler deploy`, naming the file and the field.
const gateway = createGateway(loadConfigFrom({ file: configFile, variable: env.IDEM_CONFIG, environment: env.IDEM_ENV }));

export default {
  fetch: (request, env) => gateway.fetch(request, env),
} satisfies ExportedHandler<Env>;
