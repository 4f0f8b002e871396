import { describe, expect, it } from "vitest";
import { problemsOf } from "../../test/support/config-problems.ts";
import { nearMiss } from "./schema-problems.ts";

const origin = "https://api.example.com";

describe("config problems a user can act on", () => {
  it("name a route and a dedup rule by their name, not their place in the list", () => {
    const problems = problemsOf({
      origin,
      routes: [
        { name: "list", path: "/orders", methods: ["GET"] },
        { name: "create-order", path: "/orders", key: { requried: true }, dedup: [{ name: "resend", prerequisites: [], compare: ["body:a"] }] },
      ],
    });
    expect(problems).toEqual([
      'routes["create-order"].key.requried: unknown field; did you mean "required"?',
      'routes["create-order"].dedup["resend"].prerequisites: invalid length: Expected >=1 but received 0',
    ]);
  });

  it("report every unknown field at once, in the same table and in others", () => {
    const problems = problemsOf({
      origin,
      orgin: origin,
      routes: [{ name: "orders", path: "/orders", ttlSecond: 60, mdoe: "reject", colour: "red", key: { requried: true, soruce: "header:K" } }],
    });
    expect([...problems].sort()).toEqual(
      [
        'orgin: unknown field; did you mean "origin"?',
        'routes["orders"].ttlSecond: unknown field; did you mean "ttlSeconds"?',
        'routes["orders"].mdoe: unknown field; did you mean "mode"?',
        'routes["orders"].colour: unknown field (check the spelling; docs/configuration.md lists every field)',
        'routes["orders"].key.requried: unknown field; did you mean "required"?',
        'routes["orders"].key.soruce: unknown field; did you mean "source"?',
      ].sort(),
    );
  });

  it("list what a small table takes when nothing is close, and reach tables inside unions", () => {
    expect(problemsOf({ origin, routes: [{ name: "a", path: "/a", key: { colour: "red" } }] })).toEqual([
      'routes["a"].key.colour: unknown field (this table takes: source, required, pattern, maxLength)',
    ]);
    expect(problemsOf({ origin: { url: origin, hedaers: {} }, routes: [] })).toEqual(['origin.hedaers: unknown field; did you mean "headers"?']);
    expect(
      problemsOf({
        origin,
        routes: [{ name: "a", path: "/a", dedup: [{ name: "r", prerequisites: ["body:x"], compare: [{ field: "body:x", ifPresnt: true }] }] }],
      }),
    ).toEqual(['routes["a"].dedup["r"].compare[0].ifPresnt: unknown field; did you mean "ifPresent"?']);
  });

  it("fall back to the index where a name cannot tell elements apart", () => {
    expect(
      problemsOf({
        origin,
        routes: [
          { name: "a", path: "/a" },
          { name: "a", path: "b" },
          { name: "not a name", path: "c" },
        ],
      }),
    ).toEqual([
      "routes[1].path: must start with /",
      "routes[2].name: must be 1-64 letters, digits, '_', '.' or '-'",
      "routes[2].path: must start with /",
    ]);
  });

  it("suggest a route's origin that is one slip away", () => {
    expect(problemsOf({ origin, origins: { payments: origin }, routes: [{ name: "refund", path: "/r", origin: "paymnets" }] })).toEqual([
      'routes["refund"].origin: "paymnets" names none of origins (payments); did you mean "payments"?',
    ]);
  });
});

describe("nearMiss", () => {
  it.each([
    ["requried", "required"],
    ["Required", "required"],
    ["ttlSecond", "ttlSeconds"],
    ["mdoe", "mode"],
    ["sourc", "source"],
  ])("takes %s for %s", (written, meant) => {
    expect(nearMiss(written, ["source", "required", "mode", "ttlSeconds", "pattern"])).toBe(meant);
  });

  it.each(["colour", "tll", "md", "requirements"])("offers nothing for %s", (written) => {
    expect(nearMiss(written, ["source", "required", "mode", "ttlSeconds", "pattern"])).toBeUndefined();
  });
});
