import { env } from "cloudflare:workers";
import { createAdminApi } from "../admin/admin-api.ts";
import { adminDisabledReason } from "../admin/auth.ts";
import { ConfigError } from "../config/load.ts";
import { type ConfigSources, loadConfigFrom } from "../config/sources.ts";
import type { Env } from "../env.ts";
import { createGateway } from "../gateway/gateway.ts";
import type { IdemConfig } from "../model/config.ts";
import { missingBindings } from "../origin/send.ts";
import { RouteTable } from "../plan/route-table.ts";

/** What `export default` of a Worker needs: Idem answers every request it is handed. */
export interface IdemWorker {
  fetch(request: Request, env: Env): Promise<Response>;
}

/**
 * Idem's Worker for one resolved config: requests under the admin prefix go
 * to the admin API (and never reach the origin); every other request to the gateway.
 *
 * @example
 * const worker = handlerFor(loadConfig({ origin: "https://api.example.com", routes: [{ name: "orders", path: "/orders" }] }));
 * return worker.fetch(request, env);
 */
export function handlerFor(config: IdemConfig): IdemWorker {
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

/**
 * Loads and validates a config and checks the Worker's bindings against it,
 * then builds the Worker. Called at module top level, so that a bad config
 * stops `wrangler dev` and the upload of `wrangler deploy`, naming the file
 * and the field; so does a service binding or credential secret the origins
 * need and the Worker lacks.
 *
 * @throws ConfigError naming where the config was read and every bad field.
 * @example
 * export default startWorker({ file: configFile, variable: env.IDEM_CONFIG, environment: env.IDEM_ENV });
 */
export function startWorker(sources: ConfigSources): IdemWorker {
  const config = loadConfigFrom(sources);
  const unbound = missingBindings(env, config);
  if (unbound.length > 0) throw new ConfigError(unbound, "the Worker's bindings");
  // A token that is set but refused (too short, or one this repository publishes) leaves the admin API off: say so now.
  const adminOff = env.ADMIN_TOKEN ? adminDisabledReason(env.ADMIN_TOKEN) : undefined;
  if (adminOff) console.warn(JSON.stringify({ event: "idem.admin-disabled", reason: adminOff }));
  return handlerFor(config);
}
