/**
 * The ready Worker, `idem-gateway/worker`: its config is the file a wrangler
 * `alias` bundles as `#idem-config` (idem.config.toml), or the `IDEM_CONFIG`
 * var; the `[env.<name>]` section `IDEM_ENV` names applies. Validated when the
 * module loads, so a bad config stops `wrangler dev` and `wrangler deploy`.
 *
 * @example
 * // src/index.ts of a project `idem init` wrote
 * export { default, DocumentObject, KeyObject } from "idem-gateway/worker";
 * @module
 */
import { env } from "cloudflare:workers";
// The config file that wrangler.toml's `alias` bundles (its text), or an empty text when there is none.
import configFile from "#idem-config" with { type: "text" };
import type { Env } from "../env.ts";
import { startWorker } from "./handler.ts";

export { DocumentObject } from "../objects/document-object.ts";
export { KeyObject } from "../objects/key-object.ts";

const worker = startWorker({ file: configFile, variable: env.IDEM_CONFIG, environment: env.IDEM_ENV });

export default {
  fetch: (request, env) => worker.fetch(request, env),
} satisfies ExportedHandler<Env>;
