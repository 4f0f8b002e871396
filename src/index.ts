/**
 * `idem-gateway`: Idem as a library, for a Worker that builds its gateway in
 * code. A Worker whose config is a file (idem.config.toml) or the
 * `IDEM_CONFIG` var re-exports `idem-gateway/worker` instead (docs/package.md).
 *
 * Nothing here runs on import: a Worker that imports this module and never
 * calls `createWorker` gets no gateway and no start-up check.
 *
 * @example
 * import { createWorker, defineConfig } from "idem-gateway";
 * export { DocumentObject, KeyObject } from "idem-gateway";
 * export default createWorker(defineConfig({ origin: "https://api.example.com", routes: [{ name: "orders", path: "/orders" }] }));
 * @module
 */
export { ConfigError } from "./config/load.ts";
export type { Env } from "./env.ts";
export type { IdemConfig, Route } from "./model/config.ts";
export { DocumentObject } from "./objects/document-object.ts";
export { KeyObject } from "./objects/key-object.ts";
export { createWorker, defineConfig, type IdemConfigInput } from "./worker/create-worker.ts";
export type { IdemWorker } from "./worker/handler.ts";
