import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { checkConfig } from "../../src/cli/check.ts";
import { configShape, describeConfig } from "../../src/config/describe.ts";
import { loadConfig } from "../../src/config/load.ts";
import { CONFIG_FILE_SPECIFIER, loadConfigFrom } from "../../src/config/sources.ts";
import type { IdemConfig } from "../../src/model/config.ts";

/** Every Idem config this repository ships: each wrangler file's top level and environments. */
function shippedConfigs(): [string, IdemConfig][] {
  const wranglerFiles = ["wrangler.toml", ...readdirSync("examples").map((name) => join("examples", name, "wrangler.toml"))];
  return wranglerFiles.flatMap((path) => {
    const top = unstable_readConfig({ config: path }, { hideWarnings: true });
    return [undefined, ...(top.definedEnvironments ?? [])].map((env): [string, IdemConfig] => {
      const wrangler = unstable_readConfig({ config: path, env }, { hideWarnings: true });
      const aliased = wrangler.alias?.[CONFIG_FILE_SPECIFIER];
      const file = aliased === undefined ? "" : readFileSync(resolve(dirname(path), aliased), "utf8");
      const environment = typeof wrangler.vars.IDEM_ENV === "string" ? wrangler.vars.IDEM_ENV : undefined;
      return [`${path}${env ? ` [env ${env}]` : ""}`, loadConfigFrom({ file, variable: wrangler.vars.IDEM_CONFIG, environment })];
    });
  });
}

const configs = shippedConfigs();

describe("every shipped template and example", () => {
  it.each(configs)("passes the config check without a warning: %s", async (name) => {
    const [path = "", env] = name.replace(/\]$/, "").split(" [env ");
    const { code, stdout } = await checkConfig(["--config", path, ...(env === undefined ? [] : ["--env", env])]);
    expect(code).toBe(0);
    expect(stdout.split("\n").filter((line) => line.startsWith("  ! "))).toEqual([]);
  });
});

describe("the effective config, printed in the config's own shape", () => {
  it("covers every shipped config", () => {
    expect(configs.map(([name]) => name)).toEqual(
      expect.arrayContaining(["wrangler.toml [env production]", "examples/commerce/wrangler.toml [env production]", "examples/erply/wrangler.toml"]),
    );
  });

  it.each(configs)("loads back to the same gateway: %s", (_name, config) => {
    // Through TOML, as someone pasting it into idem.config.toml would.
    const pasted = parseToml(stringifyToml(describeConfig(config)));
    expect(loadConfig(pasted)).toEqual(config);
  });

  it("uses the names a config file takes, with the defaults folded into every route", () => {
    const config = loadConfig({
      origin: "https://api.example.com",
      defaults: { ttlSeconds: 600, neverStoreStatuses: [429, "500-503"] },
      routes: [{ name: "orders", path: "/orders", key: { source: ["body:zip", "body:house"] }, dedup: [] }],
    });
    expect(configShape(config).routes[0]).toMatchObject({
      name: "orders",
      methods: ["POST", "PATCH"],
      key: { source: ["body:zip", "body:house"], required: false },
      ttlSeconds: 600,
      neverStoreStatuses: [429, "500-503"],
      scope: ["header:Authorization"],
    });
    const printed = JSON.stringify(describeConfig(config));
    for (const internal of ["ttlMs", 'neverStore"', "sources", "isComposite", "record", "problemDocsBase", "windowMs", "isDelete"]) {
      expect(printed).not.toContain(internal);
    }
  });
});
