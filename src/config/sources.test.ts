import { describe, expect, it } from "vitest";
import { ConfigError } from "./load.ts";
import { type ConfigSources, loadConfigFrom } from "./sources.ts";

const TOML = `#:schema ../../idem.config.schema.json
origin = "https://orders.example.com"
defaults = { ttlSeconds = 600 }

[[routes]]
name = "create-order"
path = "/orders"
key = { required = true }

[env.production]
origin = "https://orders.prod.example.com"
placement = { jurisdiction = "eu" }
`;

function errorOf(sources: Partial<ConfigSources>): ConfigError {
  try {
    loadConfigFrom({ file: "", variable: undefined, ...sources });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("the config was accepted");
}

describe("the config file", () => {
  it("is read from TOML, top level alone without IDEM_ENV", () => {
    const config = loadConfigFrom({ file: TOML, variable: undefined });
    expect(config.origin).toMatchObject({ kind: "url", base: "https://orders.example.com" });
    expect(config.routes[0]?.ttlMs).toBe(600_000);
    expect(config.placement).toEqual({});
  });

  it("applies the [env.<name>] section IDEM_ENV names: each field it sets replaces the top level's", () => {
    const config = loadConfigFrom({ file: TOML, variable: undefined, environment: "production" });
    expect(config.origin).toMatchObject({ kind: "url", base: "https://orders.prod.example.com" });
    expect(config.placement).toEqual({ jurisdiction: "eu" });
    expect(config.routes.map((r) => [r.name, r.ttlMs, r.key.required])).toEqual([["create-order", 600_000, true]]);
  });

  it("is read from JSON too", () => {
    const json = JSON.stringify({ origin: "https://a.example", routes: [], env: { staging: { origin: "https://s.example" } } });
    expect(loadConfigFrom({ file: json, variable: undefined, environment: "staging" }).origin).toMatchObject({ base: "https://s.example" });
  });

  it("names the file and the field of every mistake, and the section for a field the section set", () => {
    const bad = `${TOML.replace('path = "/orders"', 'path = "orders"')}originTimeoutMs = 0\n`;
    const error = errorOf({ file: bad, environment: "production" });
    expect(error.source).toBe("idem.config.toml");
    expect(error.message).toContain("Invalid Idem config in idem.config.toml:");
    expect(error.problems).toEqual(
      expect.arrayContaining(['routes["create-order"].path: must start with /', expect.stringMatching(/^env\.production\.originTimeoutMs: /)]),
    );
  });

  it("names the path check-config knows, and a JSON file by its name", () => {
    expect(errorOf({ file: TOML.replace(`path = "/orders"`, `path = "orders"`), fileLabel: "examples/shop/idem.config.toml" }).source).toBe(
      "examples/shop/idem.config.toml",
    );
    expect(errorOf({ file: '{"origin": 5, "routes": []}' }).source).toBe("idem.config.json");
  });

  it("reports TOML and JSON syntax errors with where they are", () => {
    const toml = errorOf({ file: 'origin = "https://a.example"\nroutes = [\n' });
    expect(toml.problems[0]).toMatch(/^\(file\): is not valid TOML \(line \d+, column \d+: /);
    expect(errorOf({ file: "{ origin: " }).problems[0]).toMatch(/^\(file\): is not valid JSON/);
  });

  it("refuses an IDEM_ENV that names no section, listing the sections there are", () => {
    expect(errorOf({ file: TOML, environment: "prod" }).problems).toEqual([
      'IDEM_ENV: "prod" names no [env.prod] section (the config has [env.production])',
    ]);
    expect(errorOf({ file: 'origin = "https://a.example"\nroutes = []\n', environment: "prod" }).problems[0]).toContain(
      "the config has no env sections",
    );
  });

  it("refuses env sections that are not tables, or that nest", () => {
    expect(errorOf({ file: 'origin = "https://a.example"\nroutes = []\nenv = 5\n' }).problems[0]).toMatch(/^env: must be a table of sections/);
    expect(errorOf({ file: `${TOML}[env.production.env.x]\norigin = "https://x.example"\n`, environment: "production" }).problems).toEqual([
      "env.production.env: sections do not nest",
    ]);
  });
});

describe("IDEM_CONFIG", () => {
  it("keeps working alone, as an object or a JSON string, with env sections too", () => {
    const variable = { origin: "https://a.example", routes: [], env: { staging: { origin: "https://s.example" } } };
    expect(loadConfigFrom({ file: "", variable }).origin).toMatchObject({ base: "https://a.example" });
    expect(loadConfigFrom({ file: "", variable: JSON.stringify(variable), environment: "staging" }).origin).toMatchObject({
      base: "https://s.example",
    });
    const error = errorOf({ variable: { origin: "ftp://a", routes: [] } });
    expect(error.message).toContain("Invalid Idem config in IDEM_CONFIG:");
    expect(error.problems).toEqual(["origin: must be http:// or https://"]);
  });

  it("and a config file together are an error that says so", () => {
    const error = errorOf({ file: TOML, variable: { origin: "https://a.example", routes: [] } });
    expect(error.problems[0]).toMatch(/^IDEM_CONFIG: is set, and the config file idem\.config\.toml is bundled too; keep one of them/);
  });

  it("nor a file: the error says where a config goes", () => {
    expect(errorOf({}).problems[0]).toMatch(/none found; write idem\.config\.toml beside wrangler\.toml .* or define \[vars\.IDEM_CONFIG\]/);
  });
});
