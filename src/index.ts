import { env } from "cloudflare:workers";
// The config file that wrangler.toml's `alias` bundles (TOML text or a JSON object), or nothing.
import configFile from "#idem-config" with { type: "text" };
import { ConfigError } from "./config/load.ts";
import { loadConfigFrom } from "./config/sources.ts";
import type { Env } from "./env.ts";
import { createGateway } from "./gateway/gateway.ts";
import { missingBindings } from "./origin/send.ts";

export { DocumentObject } from "./objects/document-object.ts";
export { KeyObject } from "./objects/key-object.ts";

// Validated at start-up: a bad config stops `wrangler dev` and `wrangler deploy`, naming the file and the field;
// so does a service binding or credential secret the origins need and the Worker lacks.
const config = loadConfigFrom({ file: configFile, variable: env.IDEM_CONFIG, environment: env.IDEM_ENV });
const unbound = missingBindings(env, config);
if (unbound.length > 0) throw new ConfigError(unbound, "the Worker's bindings");
const gateway = createGateway(config);

export default {
  fetch: (request, env) => gateway.fetch(request, env),
} satisfies ExportedHandler<Env>;
