import { env } from "cloudflare:workers";
import type { ConfigInput } from "../config/schema.ts";
import { type IdemWorker, startWorker } from "./handler.ts";

/** A config written in code: the fields of idem.config.toml, and its `[env.<name>]` sections under `env`. */
export type IdemConfigInput = ConfigInput & { env?: Record<string, Partial<ConfigInput>> };

/** How errors name a config given in code: there is no file to name. */
const CODE_LABEL = "the config given to createWorker";

/**
 * Types a config written in code, so that the editor completes and checks its
 * fields; it returns the config unchanged. Validation (defaults, cross-field
 * rules) happens in `createWorker`.
 *
 * @example
 * const config = defineConfig({ origin: "https://api.example.com", routes: [{ name: "orders", path: "/orders" }] });
 */
export function defineConfig(config: IdemConfigInput): IdemConfigInput {
  return config;
}

/**
 * Idem's Worker built from a config given in code: a typed object
 * (`defineConfig`), or the text of an Idem config file (TOML or JSON). Call it
 * at module top level: it validates the config and the Worker's bindings at
 * once and throws `ConfigError` naming every bad field, so a bad config stops
 * `wrangler dev` and `wrangler deploy`. The `[env.<name>]` section named by the
 * `IDEM_ENV` var applies, as with a config file.
 *
 * @throws ConfigError naming every bad field.
 * @example
 * import { createWorker, defineConfig } from "idem-gateway";
 * export { DocumentObject, KeyObject } from "idem-gateway";
 * export default createWorker(defineConfig({ origin: "https://api.example.com", routes: [{ name: "orders", path: "/orders" }] }));
 */
export function createWorker(config: IdemConfigInput | string): IdemWorker {
  const file = typeof config === "string" ? config : JSON.stringify(config);
  return startWorker({ file, fileLabel: CODE_LABEL, variable: undefined, environment: env.IDEM_ENV });
}
