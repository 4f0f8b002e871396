import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { coveringPrefixes, patternPrefix, routesCommand } from "../../src/cli/routes.ts";

function configFile(toml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "idem-routes-")), "idem.config.toml");
  writeFileSync(path, toml);
  return path;
}

describe("idem routes", () => {
  it("cuts a path at its first parameter or wildcard segment: route patterns take * only at the end", () => {
    expect(patternPrefix("/orders")).toBe("/orders");
    expect(patternPrefix("/orders/:id")).toBe("/orders/");
    expect(patternPrefix("/orders/:id/lines/:line")).toBe("/orders/");
    expect(patternPrefix("/api/*")).toBe("/api/");
    expect(patternPrefix("/:tenant/orders")).toBe("/");
    expect(coveringPrefixes(["/orders", "/orders/", "/__idem", "/carts/", "/carts/"])).toEqual(["/__idem", "/carts/", "/orders"]);
  });

  it("sends Idem's paths and its admin prefix through the Worker, and nothing else", async () => {
    const config = configFile(
      [
        'origin = "https://api.example.com"',
        'admin = { pathPrefix = "/ops/idem" }',
        "[[routes]]",
        'name = "create-order"',
        'path = "/orders"',
        "[[routes]]",
        'name = "update-order"',
        'path = "/orders/:id"',
        "[[routes]]",
        'name = "payments"',
        'path = "/v1/payments/:id/capture"',
      ].join("\n"),
    );
    const { code, stdout } = await routesCommand(["--config", config, "--host", "API.example.com", "--zone", "example.com"]);
    expect(code).toBe(0);
    expect(stdout.split("\n").slice(1)).toEqual([
      "routes = [",
      '  { pattern = "api.example.com/ops/idem*", zone_name = "example.com" },',
      '  { pattern = "api.example.com/orders*", zone_name = "example.com" },',
      '  { pattern = "api.example.com/v1/payments/*", zone_name = "example.com" },',
      "]",
    ]);
  });

  it("routes every path through Idem when its path matching folds case or slashes, which patterns cannot", async () => {
    const config = configFile(
      ['origin = "https://api.example.com"', "pathMatching = { caseInsensitive = true }", "[[routes]]", 'name = "o"', 'path = "/orders"'].join("\n"),
    );
    const { stdout } = await routesCommand(["--config", config, "--host", "api.example.com"]);
    expect(stdout).toContain('routes = [\n  "api.example.com/*",\n]');
  });

  it("refuses an invalid config as idem check does, and a missing host", async () => {
    const broken = await routesCommand([
      "--config",
      configFile('origin = "https://api.example.com"\n[[routes]]\nname = "o"\npth = "/o"\n'),
      "--host",
      "a.example",
    ]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/routes\[[^\]]+\]\.pth: unknown field/);
    expect((await routesCommand(["--config", "wrangler.toml"])).code).toBe(2);
  });
});
