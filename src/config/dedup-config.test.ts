import { describe, expect, it } from "vitest";
import { problemsOf } from "../../test/support/config-problems.ts";
import { loadConfig } from "./load.ts";

type Rule = Record<string, unknown>;

const rule = (changes: Rule = {}): Rule => ({ name: "sale", prerequisites: ["param:no"], compare: ["param:no"], ...changes });
const withRules = (rules: Rule[], route: Rule = {}) => ({
  origin: "https://api.example",
  routes: [{ name: "api", path: "/api/:shop", dedup: rules, ...route }],
});

describe("dedup rules in the config", () => {
  it("apply a 24 h window and never store 400-599 unless told otherwise, whatever the key TTL", () => {
    const [defaults, custom] =
      loadConfig(withRules([rule(), rule({ name: "short", windowSeconds: 600, neverStoreStatuses: [500, "502-504"] })], { ttlSeconds: 60 })).routes[0]
        ?.dedup ?? [];
    expect(defaults?.windowMs).toBe(86_400_000);
    expect(defaults?.neverStore).toEqual([{ from: 400, to: 599 }]);
    expect(defaults?.successWhen).toEqual([]);
    expect(custom?.windowMs).toBe(600_000);
    expect(custom?.neverStore).toEqual([
      { from: 500, to: 500 },
      { from: 502, to: 504 },
    ]);
  });

  it("resolve successWhen into conditions on the response", () => {
    const [resolved] = loadConfig(withRules([rule({ successWhen: { "body:/status/responseStatus": "ok" } })])).routes[0]?.dedup ?? [];
    expect(resolved?.successWhen).toEqual([
      {
        field: { source: "body", name: "/status/responseStatus", pointer: ["status", "responseStatus"], text: "body:/status/responseStatus" },
        values: ["ok"],
      },
    ]);
  });

  it.each([
    [{ items: { fields: ["param:productID"] } }, 'routes["api"].dedup["sale"].items.fields[0]: must contain exactly one {n} or {i}'],
    [{ items: { fields: ["param:p{n}x{n}"] } }, 'routes["api"].dedup["sale"].items.fields[0]: must contain exactly one {n} or {i}'],
    [{ successWhen: { "query:ok": "1" } }, 'routes["api"].dedup["sale"].successWhen'],
    [{ prerequisites: [] }, 'routes["api"].dedup["sale"].prerequisites'],
    [
      { compare: [{ field: "param:x", ifPresnt: true }] },
      'routes["api"].dedup["sale"].compare[0].ifPresnt: unknown field; did you mean "ifPresent"?',
    ],
    [{ compare: ["path:register"] }, `routes["api"].dedup["sale"].compare[0]: "path:register" names no parameter of path /api/:shop`],
    [{ compare: [{ field: "param:x", when: { "path:x": "1" } }] }, 'routes["api"].dedup["sale"].compare[0].when'],
    [{ clients: ["TouchPOS"] }, `routes["api"].dedup["sale"].clients: needs the route's clientField`],
  ])("refuse %j, naming the field", (changes, expected) => {
    expect(problemsOf(withRules([rule(changes)])).join("\n")).toContain(expected);
  });

  it("refuse two rules of one route with the same name", () => {
    expect(problemsOf(withRules([rule(), rule()]))).toContain('routes["api"].dedup[1].name: "sale" is used by another rule of this route');
  });

  it("accept a path: field the route's pattern has", () => {
    expect(problemsOf(withRules([rule({ compare: ["path:shop", "param:no"] })]))).toEqual([]);
  });
});
