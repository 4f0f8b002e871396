import { dirname, resolve } from "node:path";
import type { Json } from "miniflare";
import { unstable_readConfig } from "wrangler";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");

/**
 * The Idem config (`[vars.IDEM_CONFIG]`) of a wrangler file, as wrangler
 * reads it: tests run the shipped example configs, not copies of them.
 *
 * @example
 * const config = idemConfigOf("examples/erply/wrangler.toml");
 * await startBundledWorker({ bundle, config: { ...config, origin: origin.url }, wranglerConfig: "examples/erply/wrangler.toml" });
 */
export function idemConfigOf(wranglerConfig: string): Record<string, Json> {
  const config = unstable_readConfig({ config: resolve(root, wranglerConfig) });
  const idem = config.vars.IDEM_CONFIG;
  if (idem === null || typeof idem !== "object" || Array.isArray(idem)) {
    throw new Error(`${wranglerConfig} has no [vars.IDEM_CONFIG] table`);
  }
  return idem as Record<string, Json>;
}
