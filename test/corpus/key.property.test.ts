/**
 * Issue 5, key syntax as properties: every key the spec allows is read back
 * unchanged, bare and as an sf-string, and everything else is refused
 * without throwing.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";
import type { Route } from "../../src/model/config.ts";
import { parseKey } from "../../src/plan/key.ts";

/** The default policy: the standard Idempotency-Key header, 255 characters at most. */
const standard = (loadConfig({ origin: "https://api.example.com", routes: [{ name: "r", path: "/r" }] }).routes[0] as Route).key;

const VISIBLE = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i));
const visibleChar = fc.constantFrom(...VISIBLE);
const bareChar = fc.constantFrom(...VISIBLE.filter((c) => c !== '"' && c !== "\\" && c !== ","));
const forbiddenChar = fc.oneof(
  fc.integer({ min: 0x00, max: 0x20 }).map((c) => String.fromCharCode(c)),
  fc.constant("\x7f"),
  fc.integer({ min: 0x80, max: 0xffff }).map((c) => String.fromCharCode(c)),
);

const sfString = (key: string) => `"${key.replace(/[\\"]/g, "\\$&")}"`;

describe("keys the spec allows", () => {
  it("round-trip bare and as an sf-string: 1-255 visible ASCII characters without quotes, backslashes or commas", () => {
    fc.assert(
      fc.property(fc.string({ unit: bareChar, minLength: 1, maxLength: 255 }), (key) => {
        expect(parseKey(key, standard)).toEqual({ ok: true, key });
        expect(parseKey(`"${key}"`, standard)).toEqual({ ok: true, key });
      }),
    );
  });

  it("round-trip as an sf-string with any visible ASCII, quotes and backslashes escaped", () => {
    fc.assert(
      fc.property(fc.string({ unit: visibleChar, minLength: 1, maxLength: 255 }), (key) => {
        expect(parseKey(sfString(key), standard)).toEqual({ ok: true, key });
      }),
    );
  });
});

describe("keys the spec refuses", () => {
  it("refuses a key holding a control, space or non-ASCII character, bare or quoted", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: bareChar, maxLength: 100 }),
        forbiddenChar,
        fc.string({ unit: bareChar, maxLength: 100 }),
        (before, bad, after) => {
          const key = `${before}${bad}${after}`;
          expect(parseKey(key, standard).ok).toBe(false);
          expect(parseKey(sfString(key), standard).ok).toBe(false);
        },
      ),
    );
  });

  it("refuses an empty key and one longer than 255 characters", () => {
    fc.assert(
      fc.property(fc.string({ unit: bareChar, minLength: 256, maxLength: 600 }), (key) => {
        expect(parseKey(key, standard).ok).toBe(false);
        expect(parseKey(sfString(key), standard).ok).toBe(false);
      }),
    );
    expect(parseKey("", standard).ok).toBe(false);
    expect(parseKey('""', standard).ok).toBe(false);
  });

  it("refuses a bare key with a quote, backslash or comma, and a quoted key with a stray escape or text after it", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: bareChar, minLength: 1, maxLength: 50 }),
        fc.constantFrom('"', "\\", ","),
        fc.string({ unit: bareChar, maxLength: 50 }),
        (before, special, after) => {
          expect(parseKey(`${before}${special}${after}`, standard).ok).toBe(false);
          // Inside quotes, a backslash may only escape " or \.
          const escaped = after.length > 0 && !['"', "\\"].includes(after[0] as string);
          if (escaped) expect(parseKey(`"${before}\\${after}"`, standard).ok).toBe(false);
          expect(parseKey(`"${before}"${special}${after}`, standard).ok).toBe(false);
        },
      ),
    );
  });

  it("never throws, whatever the header holds", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (raw) => {
        const result = parseKey(raw, standard);
        if (result.ok) expect(result.key).toMatch(/^[\x21-\x7e]{1,255}$/);
        else expect(result.detail.length).toBeGreaterThan(0);
      }),
    );
  });
});
