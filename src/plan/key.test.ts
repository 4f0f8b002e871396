import { describe, expect, it } from "vitest";
import type { KeyPolicy } from "../model/config.ts";
import { parseFieldRef } from "../request/field-ref.ts";
import { parseKey } from "./key.ts";

const header: KeyPolicy = {
  sources: [parseFieldRef("header:Idempotency-Key")],
  isComposite: false,
  sourceText: "header:Idempotency-Key",
  isStandardHeader: true,
  required: false,
  maxLength: 255,
};

describe("parseKey", () => {
  it.each([
    ["bare token", "abc-123", "abc-123"],
    ["sf-string", '"abc-123"', "abc-123"],
    ["sf-string with escapes", '"a\\"b\\\\c"', 'a"b\\c'],
    ["UUID", "8e03978e-40d5-43e8-bc93-6894a57f9324", "8e03978e-40d5-43e8-bc93-6894a57f9324"],
    ["255 characters", "k".repeat(255), "k".repeat(255)],
  ])("accepts a %s", (_name, raw, key) => {
    expect(parseKey(raw, header)).toEqual({ ok: true, key });
  });

  it.each([
    ["an empty key", ""],
    ["an empty sf-string", '""'],
    ["256 characters", "k".repeat(256)],
    ["a control character", "abc\u0001"],
    ["a space", "ab c"],
    ["non-ASCII", "clé"],
    ["an unterminated sf-string", '"abc'],
    ["a stray quote", 'ab"c'],
    ["a bad escape", '"a\\nb"'],
    ["two headers (tokens)", "abc, def"],
    ["two headers (sf-strings)", '"abc", "def"'],
  ])("refuses %s", (_name, raw) => {
    expect(parseKey(raw, header).ok).toBe(false);
  });

  it("applies a route's own pattern and length", () => {
    const erply: KeyPolicy = { ...header, isStandardHeader: false, pattern: /^[A-Za-z0-9.-]+$/, maxLength: 128 };
    expect(parseKey("a1.b-2", erply)).toEqual({ ok: true, key: "a1.b-2" });
    expect(parseKey("a_b", erply).ok).toBe(false);
    expect(parseKey("x".repeat(129), erply).ok).toBe(false);
  });
});
