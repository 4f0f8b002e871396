/** JSON deeper than this is refused rather than walked: no real API document nests this far. */
export const MAX_JSON_DEPTH = 64;

export class TooDeepError extends Error {
  constructor() {
    super(`JSON nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
}

/** A JSON number as written, so that no digit is lost to a double. */
class JsonNumber {
  constructor(readonly literal: string) {}
}

/**
 * Parses JSON text like `JSON.parse`, but keeps every number as written, so
 * that `canonicalJson` can tell `12345678901234567890` from `…891` (one
 * double holds both) and `1e400` from `null`.
 *
 * @throws SyntaxError for text that is not JSON; TooDeepError for nesting
 *   deep enough to exhaust the stack.
 * @example
 * canonicalJson(parseJsonExact('{"id":12345678901234567891}')) // '{"id":12345678901234567891e0}'
 */
export function parseJsonExact(text: string): unknown {
  try {
    return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
      typeof value === "number" && context?.source !== undefined ? new JsonNumber(context.source) : value,
    );
  } catch (error) {
    // The reviver walks the document recursively; only absurd nesting exhausts the stack.
    if (error instanceof RangeError) throw new TooDeepError();
    throw error;
  }
}

/** The exact decimal value of a number literal, in one form: significant digits and a power of ten. */
function exactDecimal(literal: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (!match) return literal;
  const [, sign = "", whole = "", fraction = "", exponent = "0"] = match;
  const digits = `${whole}${fraction}`.replace(/^0+/, "");
  if (digits === "") return "0";
  const significant = digits.replace(/0+$/, "");
  const power = BigInt(exponent) - BigInt(fraction.length) + BigInt(digits.length - significant.length);
  return `${sign}${significant}e${power}`;
}

/**
 * A number's canonical text: JSON's usual text when a double holds the
 * literal's exact value (`1.0`, `1e2`, `0.1`), otherwise the exact decimal.
 * The two forms never meet: an exact decimal differs from every double's text.
 */
function numberText(literal: string): string {
  const value = Number(literal);
  if (Number.isFinite(value) && exactDecimal(String(value)) === exactDecimal(literal)) return JSON.stringify(value);
  return exactDecimal(literal);
}

/**
 * Serialises a parsed JSON value with object keys sorted at every level, so
 * that `{"a":1,"b":2}` and `{"b":2,"a":1}` give the same text. Array order is
 * kept: it is part of the meaning. Numbers from `parseJsonExact` keep every
 * digit; numbers from `JSON.parse` are as exact as a double.
 *
 * @throws TooDeepError past MAX_JSON_DEPTH levels.
 * @example
 * canonicalJson({ b: [2, { d: 1, c: 0 }], a: "x" }) // '{"a":"x","b":[2,{"c":0,"d":1}]}'
 */
export function canonicalJson(value: unknown, depth = 0): string {
  if (depth > MAX_JSON_DEPTH) throw new TooDeepError();
  if (value instanceof JsonNumber) return numberText(value.literal);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item, depth + 1)).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k], depth + 1)}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * Serialises form or query pairs sorted by name. The sort is stable, so the
 * relative order of repeated names (`tag=a&tag=b`) still counts.
 *
 * @example
 * canonicalPairs(new URLSearchParams("b=2&a=1&b=1")) // "a=1&b=2&b=1"
 */
export function canonicalPairs(params: URLSearchParams): string {
  const pairs = [...params];
  pairs.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  return pairs.map(([k, val]) => `${encodeURIComponent(k)}=${encodeURIComponent(val)}`).join("&");
}
