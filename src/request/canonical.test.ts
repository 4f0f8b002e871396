import { describe, expect, it } from "vitest";
import { canonicalJson, canonicalPairs, isJsonContainer, JsonNumberText, MAX_JSON_DEPTH, parseExactJson, TooDeepError } from "./canonical.ts";

const exact = (text: string) => canonicalJson(parseExactJson(text));

describe("canonicalJson", () => {
  it("keeps every number's digits, where JSON.parse would round them", () => {
    expect(JSON.parse("12345678901234567890")).toBe(JSON.parse("12345678901234567891"));
    expect(exact("12345678901234567890")).toBe("12345678901234567890");
    expect(exact("12345678901234567891")).toBe("12345678901234567891");
    expect(exact("0.10000000000000000001")).not.toBe(exact("0.1"));
  });

  it('writes numbers as sent, strings quoted, so 1, 1.0 and "1" stay apart', () => {
    expect([exact("1"), exact("1.0"), exact('"1"'), exact("1e0")]).toEqual(["1", "1.0", '"1"', "1e0"]);
  });

  it("sorts object keys at every level and keeps array order", () => {
    expect(exact('{"b":[2,{"d":1.50,"c":null}],"a":true}')).toBe('{"a":true,"b":[2,{"c":null,"d":1.50}]}');
  });

  it(`refuses JSON nested deeper than ${MAX_JSON_DEPTH} levels`, () => {
    const deep = `${"[".repeat(MAX_JSON_DEPTH + 2)}${"]".repeat(MAX_JSON_DEPTH + 2)}`;
    expect(() => exact(deep)).toThrow(TooDeepError);
  });
});

describe("isJsonContainer", () => {
  it("takes objects and arrays, never a number kept as its text", () => {
    expect([{}, [], new JsonNumberText("1.0"), null, "a", true].map(isJsonContainer)).toEqual([true, true, false, false, false, false]);
  });
});

describe("canonicalPairs", () => {
  it("sorts names but keeps the order of a repeated name's values", () => {
    expect(canonicalPairs([...new URLSearchParams("b=2&a=1&b=1")])).toBe('[["a","1"],["b","2"],["b","1"]]');
  });
});
