import { describe, expect, it } from "vitest";
import { canonicalJson, parseJsonExact, TooDeepError } from "./canonical.ts";

const exact = (text: string) => canonicalJson(parseJsonExact(text));

describe("canonicalJson of exactly parsed JSON", () => {
  it("writes numbers a double holds exactly as JSON does", () => {
    expect(exact('{"b":[1.0,1e2,0.1,-0],"a":1e21}')).toBe('{"a":1e+21,"b":[1,100,0.1,0]}');
  });

  it("keeps every digit of a number a double cannot hold", () => {
    expect(exact('{"id":12345678901234567891}')).toBe('{"id":12345678901234567891e0}');
    expect(exact("[0.10000000000000001, 1e400, -2.50e-400]")).toBe("[10000000000000001e-17,1e400,-25e-401]");
  });

  it("turns nesting that exhausts the stack into TooDeepError", () => {
    const depth = 1_000_000;
    expect(() => parseJsonExact(`${"[".repeat(depth)}${"]".repeat(depth)}`)).toThrow(TooDeepError);
  });
});
