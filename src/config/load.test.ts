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
  return [];
}

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
      'routes[1].document.scope: [header:Authorization] differs from [param:clientCode] of route "save" in document group "sales"; routes of one group must scope documents alike',
    ]);
  });

  it("refuses a document scope naming a path parameter the route does not have", () => {
    const problems = problemsOf({
      origin,
      routes: [{ name: "edit", path: "/docs/:id", document: { id: "path:id", scope: ["path:account"] } }],
    });
    expect(problems).toEqual(['routes[0].document.scope[0]: "path:account" names no parameter of path /docs/:id']);
  });
});

describe("neverStoreWhen", () => {
  it("reads the response's header and body", () => {
    const config = loadConfig({
      origin,
      defaults: { neverStoreWhen: { "body:/status/responseStatus": "error", "header:X-Outcome": ["failed", "rejected"] } },
      routes: [{ name: "save", path: "/api/" }],
    });
    expect(config.routes[0]?.neverStoreWhen).toEqual([
      { field: { source: "body", name: "/status/responseStatus", pointer: ["status", "responseStatus"], text: "body:/status/responseStatus" }, values: ["error"] },
      { field: { source: "header", name: "x-outcome", text: "header:X-Outcome" }, values: ["failed", "rejected"] },
    ]);
  });

  it("refuses a request-only source, naming the field", () => {
    const problems = problemsOf({ origin, routes: [{ name: "save", path: "/api/", neverStoreWhen: { "query:status": "error" } }] });
    expect(problems).toEqual([
      'routes[0].neverStoreWhen.query:status: must read the response\'s "header:Name" or "body:name" / "body:/json/pointer"',
    ]);
  });
});
