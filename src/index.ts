import { env } from "cloudflare:workers";
// The config file that wrangler.toml's `alias` bundles (its text), or an empty text when there is none.
import configFile from "#idem-config" with { type: "text" };
import { createAdminApi } from "./admin/admin-api.ts";
import { adminDisabledReason } from "./admin/auth.ts";
import { ConfigError } from "./config/load.ts";
import type { IdemConfig } from "./config/resolve.ts";
import { loadConfigFrom } from "./config/sources.ts";
import type { Env } from "./env.ts";
import { createGateway } from "./gateway/gateway.ts";
import { missingBindings } from "./origin/send.ts";
import { RouteTable } from "./plan/route-table.ts";

export { DocumentObject } from "./objects/document-object.ts";
export { KeyObject } from "./objects/key-object.ts";

/**
 * Idem's Worker for one config: requests under the admin prefix go to the
 * admin API (and never reach the origin); every other request to the gateway.
 *
 * @example
 * const worker = createWorker(loadConfig(env.IDEM_CONFIG));
 * return worker.fetch(request, env);
 */
export function createWorker(config: IdemConfig): { fetch(request: Request, env: Env): Promise<Response> } {
  const table = new RouteTable(config.routes, config.pathMatching);
  const admin = createAdminApi(config, table);
  const gateway = createGateway(config, table);
  return {
    fetch(request, env) {
      // Parsed once: the gateway takes the same URL.
      const url = new URL(request.url);
      return admin.owns(url) ? admin.fetch(request, env) : gateway.fetch(request, env, url);
    },
  };
}

// Validated at start-up: a bad config stops `wrangler dev` and `wrangler deploy`, naming the file and the field;
// so does a service binding or credential secret the origins need and the Worker lacks.
const config = loadConfigFrom({ file: configFile, variable: env.IDEM_CONFIG, environment: env.IDEM_ENV });
const unbound = missingBindings(env, config);
if (unbound.length > 0) throw new ConfigError(unbound, "the Worker's bindings");
// A token that is set but refused (too short, or one this repository publishes) leaves the admin API off: say so now.
const adminOff = env.ADMIN_TOKEN ? adminDisabledReason(env.ADMIN_TOKEN) : undefined;
if (adminOff) console.warn(JSON.stringify({ event: "idem.admin-disabled", reason: adminOff }));
const worker = createWorker(config);

export default {
  fetch: (request, env) => worker.fetch(request, env),
} satisfies ExportedHandler<Env>;
