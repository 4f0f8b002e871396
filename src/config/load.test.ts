import { describe, expect, it } from "vitest";
import { problemsOf } from "../../test/support/config-problems.ts";
import { loadConfig } from "./load.ts";
import { configWarnings } from "./warnings.ts";

const origin = "https://api.example.com";

describe("loadConfig", () => {
  it("applies the documented defaults", () => {
    const config = loadConfig({ origin: `${origin}/`, routes: [{ name: "orders", path: "/orders" }] });
    expect(config.origin).toMatchObject({ kind: "url", base: origin });
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
    expect(loadConfig(JSON.stringify({ origin, routes: [] })).origin).toMatchObject({ base: origin });
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
    [{ origin, routes: [{ name: "a", path: "orders" }] }, 'routes["a"].path: must start with /'],
    [{ origin, routes: [{ name: "a", path: "/a", tll: 5 }] }, 'routes["a"].tll: unknown field'],
    [{ origin, routes: [{ name: "a", path: "/a", key: { pattern: "([" } }] }, 'routes["a"].key.pattern: must be a valid regular expression'],
    [{ origin, routes: [{ name: "a", path: "/a", scope: ["session:x"] }] }, 'routes["a"].scope[0]: must look like "header:Name"'],
    [
      {
        origin,
        routes: [
          { name: "a", path: "/a" },
          { name: "a", path: "/b" },
        ],
      },
      'routes[1].name: "a" is used by another route',
    ],
    [
      { origin, routes: [{ name: "a", path: "/a", document: { id: "path:id" } }] },
      'routes["a"].document.id: "path:id" names no parameter of path /a',
    ],
    [
      { origin, originTimeoutMs: 10_000, routes: [{ name: "a", path: "/a", lockTimeoutMs: 5_000 }] },
      'routes["a"].lockTimeoutMs: 5000 must exceed originTimeoutMs',
    ],
    [{ origin, routes: [{ name: "a", path: "/a", methods: ["FETCH"] }] }, 'routes["a"].methods[0]: '],
    [{ origin, routes: [{ name: "a", path: "/__idem/x" }] }, 'routes["a"].path: overlaps the admin prefix'],
    [
      { origin, routes: [{ name: "a", path: "/a", dedup: [{ name: "r", clients: ["POS"], prerequisites: ["param:x"], compare: ["param:x"] }] }] },
      `routes["a"].dedup["r"].clients: needs the route's clientField`,
    ],
    [{ origin, routes: [{ name: "a", path: "/a", neverStoreStatuses: ["4xx"] }] }, 'routes["a"].neverStoreStatuses[0]: must be a status like 429'],
  ])("names the field of a mistake: %j", (raw, expected) => {
    expect(problemsOf(raw).join("\n")).toContain(expected);
  });

  it("reports an unset config and a JSON syntax error", () => {
    expect(problemsOf(undefined)[0]).toContain("IDEM_CONFIG: is not set");
    expect(problemsOf("{oops")[0]).toContain("IDEM_CONFIG: is not valid JSON");
  });
});

describe("document guards", () => {
  it("scopes a route's documents like its records unless document.scope says otherwise", () => {
    const config = loadConfig({
      origin,
      defaults: { scope: ["param:clientCode", "param:sessionKey"] },
      routes: [
        { name: "save", path: "/api/", document: { id: "param:id" } },
        { name: "edit", path: "/api/x", document: { id: "param:id", scope: ["param:clientCode"] } },
      ],
    });
    expect(config.routes[0]?.document?.scope.map((r) => r.text)).toEqual(["param:clientCode", "param:sessionKey"]);
    expect(config.routes[1]?.document?.scope.map((r) => r.text)).toEqual(["param:clientCode"]);
  });

  it("refuses routes of one group that scope documents differently, naming both", () => {
    const problems = problemsOf({
      origin,
      routes: [
        { name: "save", path: "/api/", document: { id: "param:id", group: "sales", scope: ["param:clientCode"] } },
        { name: "delete", path: "/api/", document: { id: "param:documentID", group: "sales", delete: true } },
      ],
    });
    expect(problems).toEqual([
      'routes["delete"].document.scope: [header:Authorization] differs from [param:clientCode] of route "save" in document group "sales"; routes of one group must scope documents alike',
    ]);
  });

  it("refuses a document scope naming a path parameter the route does not have", () => {
    const problems = problemsOf({
      origin,
      routes: [{ name: "edit", path: "/docs/:id", document: { id: "path:id", scope: ["path:account"] } }],
    });
    expect(problems).toEqual(['routes["edit"].document.scope[0]: "path:account" names no parameter of path /docs/:id']);
  });
});

describe("successWhen", () => {
  it("reads the response's header and body, and dedup rules inherit it", () => {
    const config = loadConfig({
      origin,
      defaults: { successWhen: { "body:/status/responseStatus": "ok", "header:X-Outcome": ["done", "accepted"] } },
      routes: [{ name: "save", path: "/api/", dedup: [{ name: "sale", prerequisites: ["param:invoiceNo"], compare: ["param:invoiceNo"] }] }],
    });
    const expected = [
      {
        field: { source: "body", name: "/status/responseStatus", pointer: ["status", "responseStatus"], text: "body:/status/responseStatus" },
        values: ["ok"],
      },
      { field: { source: "header", name: "x-outcome", text: "header:X-Outcome" }, values: ["done", "accepted"] },
    ];
    expect(config.routes[0]?.successWhen).toEqual(expected);
    expect(config.routes[0]?.dedup[0]?.successWhen).toEqual(expected);
  });

  it("refuses a request-only source, naming the field", () => {
    const problems = problemsOf({ origin, routes: [{ name: "save", path: "/api/", successWhen: { "query:status": "ok" } }] });
    expect(problems.join("\n")).toContain('routes["save"].successWhen.query:status: must look like');
  });
});

describe("identifiedBy", () => {
  it("must name scope fields (header names in any case), and defaults to the scope as written", () => {
    const route = (fields: Record<string, unknown>) => ({ origin, routes: [{ name: "save", path: "/api/", ...fields }] });
    expect(problemsOf(route({ scope: ["query:account", "header:X-Session"], identifiedBy: ["header:x-session"] }))).toEqual([]);
    expect(problemsOf(route({ identifiedBy: ["header:X-Api-Key"] })).join("\n")).toContain(
      'identifiedBy[0]: "header:X-Api-Key" is not one of the route\'s scope fields',
    );
    expect(loadConfig(route({ scope: ["query:account"] })).routes[0]?.identifiedBy.map((ref) => ref.text)).toEqual(["query:account"]);
  });
});

describe("configWarnings", () => {
  it("warns about a route whose scope holds only the fields that pick its template origin", () => {
    const config = loadConfig({
      origin: { url: "https://{header:X-Account}.api.example.com", allowHosts: ["*.api.example.com"] },
      routes: [
        { name: "orders", path: "/orders", scope: [] },
        { name: "carts", path: "/carts" },
      ],
    });
    expect(configWarnings(config)).toEqual([
      'routes "orders": no scope field identifies the caller (the scope holds only header:X-Account, which pick the origin), so the callers of one account share one scope',
    ]);
  });
});
