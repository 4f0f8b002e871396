import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./load.ts";

const origin = "https://api.example.com";

function problemsOf(raw: unknown): string[] {
  try {
    loadConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("the config was accepted");
}

describe("loadConfig", () => {
  it("applies the documented defaults", () => {
    const config = loadConfig({ origin: `${origin}/`, routes: [{ name: "orders", path: "/orders" }] });
    expect(config.origin).toBe(origin);
    expect(config.originTimeoutMs).toBe(30_000);
    const [route] = config.routes;
    expect(route).toMatchObject({
      methods: ["POST", "PATCH"],
      mode: "replay",
      ttlMs: 86_400_000,
      concurrency: "wait",
      waitTimeoutMs: 5_000,
      lockTimeoutMs: 35_000,
      fingerprintHeaders: [],
      neverStore: [408, 409, 425, 429].map((s) => ({ from: s, to: s })),
    });
    expect(route?.key.required).toBe(false);
    expect(route?.scope.map((ref) => ref.text)).toEqual(["header:Authorization"]);
  });

  it("accepts the config as a JSON string", () => {
    expect(loadConfig(JSON.stringify({ origin, routes: [] })).origin).toBe(origin);
  });

  it("lets defaults apply to every route, and a route override them", () => {
    const config = loadConfig({
      origin,
      defaults: { ttlSeconds: 60, key: { required: true } },
      routes: [
        { name: "a", path: "/a" },
        { name: "b", path: "/b", ttlSeconds: 120, key: { required: false } },
      ],
    });
    expect(config.routes.map((r) => [r.ttlMs, r.key.required])).toEqual([
      [60_000, true],
      [120_000, false],
    ]);
  });

  it.each([
    [{ routes: [] }, "origin: is required"],
    [{ origin }, "routes: is required"],
    [{ origin: "ftp://x", routes: [] }, "origin: must be http:// or https://"],
    [{ origin, routes: [{ name: "a", path: "orders" }] }, "routes[0].path: must start with /"],
    [{ origin, routes: [{ name: "a", path: "/a", tll: 5 }] }, "routes[0].tll: unknown field"],
    [{ origin, routes: [{ name: "a", path: "/a", key: { pattern: "([" } }] }, "routes[0].key.pattern: must be a valid regular expression"],
    [{ origin, routes: [{ name: "a", path: "/a", scope: ["cookie:x"] }] }, 'routes[0].scope[0]: must look like "header:Name"'],
    [{ origin, routes: [{ name: "a", path: "/a" }, { name: "a", path: "/b" }] }, 'routes[1].name: "a" is used by another route'],
    [{ origin, routes: [{ name: "a", path: "/a", document: { id: "path:id" } }] }, 'routes[0].document.id: "path:id" names no parameter of path /a'],
    [{ origin, originTimeoutMs: 10_000, routes: [{ name: "a", path: "/a", lockTimeoutMs: 5_000 }] }, "routes[0].lockTimeoutMs: 5000 must exceed originTimeoutMs"],
    [{ origin, routes: [{ name: "a", path: "/a", methods: ["FETCH"] }] }, "routes[0].methods[0]: "],
    [{ origin, routes: [{ name: "a", path: "/__idem/x" }] }, "routes[0].path: overlaps the admin prefix"],
    [{ origin, routes: [{ name: "a", path: "/a", dedup: [{ name: "r", clients: ["POS"], prerequisites: ["param:x"], compare: ["param:x"] }] }] }, "routes[0].dedup[0].clients: needs the route's clientField"],
    [{ origin, routes: [{ name: "a", path: "/a", neverStoreStatuses: ["4xx"] }] }, "routes[0].neverStoreStatuses[0]: must be a status like 429"],
  ])("names the field of a mistake: %j", (raw, expected) => {
    expect(problemsOf(raw).join("\n")).toContain(expected);
  });

  it("reports an unset config and a JSON syntax error", () => {
    expect(problemsOf(undefined)[0]).toContain("IDEM_CONFIG: is not set");
    expect(problemsOf("{oops")[0]).toContain("IDEM_CONFIG: is not valid JSON");
  });
});
