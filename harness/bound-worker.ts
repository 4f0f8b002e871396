import { readFileSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { dirname, resolve } from "node:path";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");

/** The compatibility date the fixture Worker runs with: Idem's own (wrangler.toml). */
const COMPATIBILITY_DATE = "2026-11-01";

/**
 * Miniflare options for the real second Worker that tests reach through a
 * service binding (test/fixtures/bound-worker.ts, its types stripped: it is
 * one file without imports). Both the workerd test project and the e2e
 * harness run it beside Idem under `name`.
 *
 * @example
 * new Miniflare({ workers: [{ name: "idem", serviceBindings: { ORDERS: "bound-orders" }, … }, boundWorker("bound-orders")] });
 */
export function boundWorker(name: string) {
  const source = readFileSync(resolve(root, "test/fixtures/bound-worker.ts"), "utf8");
  return {
    name,
    modules: [{ type: "ESModule" as const, path: resolve(root, "test/fixtures/bound-worker.js"), contents: stripTypeScriptTypes(source) }],
    compatibilityDate: COMPATIBILITY_DATE,
  };
}
