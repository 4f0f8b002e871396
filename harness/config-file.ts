import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parse, stringify } from "smol-toml";
import { unstable_readConfig } from "wrangler";
import { CONFIG_FILE_SPECIFIER } from "../src/config/sources.ts";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");

/** A config file's content as a plain TOML table. */
export type ConfigTable = Record<string, unknown>;

/**
 * The Idem config file a wrangler config bundles (its `#idem-config` alias), parsed.
 *
 * @example
 * const { path, config } = configFileOf("examples/commerce/wrangler.toml");
 */
export function configFileOf(wranglerConfig: string): { path: string; config: ConfigTable } {
  const absolute = resolve(root, wranglerConfig);
  const aliased = unstable_readConfig({ config: absolute }, { hideWarnings: true }).alias?.[CONFIG_FILE_SPECIFIER];
  if (aliased === undefined) throw new Error(`${wranglerConfig} bundles no config file (no "${CONFIG_FILE_SPECIFIER}" alias)`);
  const path = resolve(dirname(absolute), aliased);
  return { path, config: parse(readFileSync(path, "utf8")) };
}

/**
 * Writes a config file (TOML) to a fresh temporary folder and returns the
 * `wrangler deploy` arguments that bundle it instead of the shipped one: tests
 * run a shipped example whose origins point at servers on 127.0.0.1.
 *
 * @example
 * const { config } = configFileOf("examples/commerce/wrangler.toml");
 * const bundle = buildBundle("examples/commerce/wrangler.toml", ".wrangler/commerce", bundledConfigFile({ ...config, origin }));
 */
export function bundledConfigFile(config: ConfigTable): string[] {
  const path = join(mkdtempSync(join(tmpdir(), "idem-config-")), "idem.config.toml");
  writeFileSync(path, stringify(config));
  return ["--alias", `${CONFIG_FILE_SPECIFIER}:${path}`];
}
