import { describe, expect, it } from "vitest";
import { loadConfig } from "../config/load.ts";
import type { ConfigInput } from "../config/schema.ts";
import type { DedupRule } from "../model/config.ts";
import { FieldError } from "../request/field-error.ts";
import { RequestFields } from "../request/request-fields.ts";
import { canonicalContent } from "./content.ts";
import { lineItems } from "./line-items.ts";

type RuleInput = NonNullable<ConfigInput["routes"][number]["dedup"]>[number];

function ruleOf(rule: Omit<RuleInput, "name">): DedupRule {
  const config = loadConfig({ origin: "https://api.example", routes: [{ name: "r", path: "/api/", dedup: [{ name: "rule", ...rule }] }] });
  return config.routes[0]?.dedup[0] as DedupRule;
}

function form(body: string, query = ""): RequestFields {
  const headers = new Headers({ "content-type": "application/x-www-form-urlencoded" });
  return new RequestFields(new URL(`https://idem.test/api/${query}`), headers, new TextEncoder().encode(body));
}

function json(body: string): RequestFields {
  return new RequestFields(new URL("https://idem.test/api/"), new Headers({ "content-type": "application/json" }), new TextEncoder().encode(body));
}

const plain = ruleOf({ prerequisites: ["param:a"], compare: ["param:a", "param:b"] });

describe("canonicalContent: compared fields", () => {
  it("is one JSON document of [field, exact value] pairs", () => {
    expect(canonicalContent(plain, form("a=1&b=x"))).toBe('{"compared":[["param:a","\\"1\\""],["param:b","\\"x\\""]],"items":null}');
  });

  it("keeps an absent field apart from an empty one", () => {
    expect(canonicalContent(plain, form("a=1"))).not.toBe(canonicalContent(plain, form("a=1&b=")));
  });

  it("cannot be fooled by separators inside values", () => {
    expect(canonicalContent(plain, form("a=1%26b%3D&b="))).not.toBe(canonicalContent(plain, form("a=1&b=%26b%3D")));
    expect(canonicalContent(plain, form("a=x%22%5D%2C%5B%22&b=y"))).not.toBe(canonicalContent(plain, form("a=x&b=%22%5D%2C%5B%22y")));
  });

  it("marks a field outside its conditions as not compared, which no value equals", () => {
    const rule = ruleOf({
      prerequisites: ["param:type"],
      compare: ["param:type", { field: "param:card", ifPresent: true, when: { "param:type": "CARD" } }],
    });
    const cash = (card: string) => canonicalContent(rule, form(`type=CASH&card=${card}`));
    expect(cash("1111")).toBe(cash("2222"));
    expect(cash("1111")).toContain('["param:card","not-compared"]');
    expect(canonicalContent(rule, form("type=CARD&card=not-compared"))).toContain('["param:card","\\"not-compared\\""]');
  });

  it("compares an ifPresent field only when supplied (blank counts as not supplied)", () => {
    const rule = ruleOf({ prerequisites: ["param:a"], compare: ["param:a", { field: "param:date", ifPresent: true }] });
    expect(canonicalContent(rule, form("a=1&date=%20"))).toBe(canonicalContent(rule, form("a=1")));
    expect(canonicalContent(rule, form("a=1&date=2026-11-23"))).not.toBe(canonicalContent(rule, form("a=1")));
  });

  it("reads param: from the body first, then the query, as the route does", () => {
    expect(canonicalContent(plain, form("a=1", "?b=x"))).toBe(canonicalContent(plain, form("a=1&b=x")));
    expect(canonicalContent(plain, form("a=1&b=y", "?b=x"))).toBe(canonicalContent(plain, form("a=1&b=y")));
  });

  it("reads only what the client sent: no inherited property of a JSON object", () => {
    const rule = ruleOf({ prerequisites: ["body:a"], compare: ["body:a", "body:constructor", "body:/a/toString"] });
    expect(canonicalContent(rule, json('{"a":"1"}'))).toBe(
      '{"compared":[["body:a","\\"1\\""],["body:constructor",null],["body:/a/toString",null]],"items":null}',
    );
  });

  it("refuses a compared name sent twice, even with one value", () => {
    expect(() => canonicalContent(plain, form("a=1&b=x&b=x"))).toThrow(FieldError);
  });
});

describe("lineItems", () => {
  const templates = ["param:productID{n}", "param:amount{n}"];

  it("is a sorted multiset of the lines' exact values", () => {
    expect(lineItems(templates, form("productID1=7&amount1=2&productID2=5&amount2=1"))).toEqual(['["\\"5\\"","\\"1\\""]', '["\\"7\\"","\\"2\\""]']);
    expect(lineItems(templates, form("productID1=5&amount1=1&productID2=5&amount2=1"))).toHaveLength(2);
  });

  it("counts every line number present: from 0 or 1, after gaps, with leading zeros", () => {
    const numbers = (body: string) => lineItems(templates, form(body)).length;
    expect(numbers("productID0=1&productID1=2&productID4=3&productID04=4&productID=5&productIDx=6")).toBe(4);
  });

  it("writes a missing field of a line as null, apart from an empty one", () => {
    expect(lineItems(templates, form("productID1=5"))).toEqual(['["\\"5\\"",null]']);
    expect(lineItems(templates, form("productID1=5&amount1="))).toEqual(['["\\"5\\"","\\"\\""]']);
    expect(lineItems(templates, form("amount3=2"))).toEqual(['[null,"\\"2\\""]']);
  });

  it("finds lines in a JSON array with {i}, and in numbered top-level properties", () => {
    const rows = json('{"rows":[{"productID":5,"amount":1},{"amount":2},{"productID":"7"}]}');
    expect(lineItems(["body:/rows/{i}/productID", "body:/rows/{i}/amount"], rows)).toEqual(['["5","1"]', '["\\"7\\"",null]', '[null,"2"]']);
    expect(lineItems(templates, json('{"productID1":5,"amount1":1.50}'))).toEqual(['["5","1.50"]']);
  });

  it("reads a param: pointer template from the JSON body only, never from the query", () => {
    const fields = new RequestFields(
      new URL("https://idem.test/api/?sku9=x"),
      new Headers({ "content-type": "application/json" }),
      new TextEncoder().encode('{"sku1":"a"}'),
    );
    expect(lineItems(["param:/sku{n}"], fields)).toEqual(['["\\"a\\""]']);
    expect(lineItems(["param:sku{n}"], fields)).toEqual(['["\\"a\\""]', '["\\"x\\""]']);
  });

  it("finds numbered headers and query parameters", () => {
    const fields = new RequestFields(new URL("https://idem.test/?sku2=b&sku1=a"), new Headers({ "x-line-1": "a" }), new Uint8Array(0));
    expect(lineItems(["query:sku{n}"], fields)).toEqual(['["\\"a\\""]', '["\\"b\\""]']);
    expect(lineItems(["header:X-Line-{n}"], fields)).toEqual(['["\\"a\\""]']);
  });
});
