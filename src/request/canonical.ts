/** JSON deeper than this is refused rather than walked: no real API document nests this far. */
export const MAX_JSON_DEPTH = 64;

export class TooDeepError extends Error {
  constructor() {
    super(`JSON nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
}

/**
 * Serialises a parsed JSON value with object keys sorted at every level, so
 * that `{"a":1,"b":2}` and `{"b":2,"a":1}` give the same text. Array order is
 * kept: it is part of the meaning.
 *
 * @throws TooDeepError past MAX_JSON_DEPTH levels.
 * @example
 * canonicalJson({ b: [2, { d: 1, c: 0 }], a: "x" }) // '{"a":"x","b":[2,{"c":0,"d":1}]}'
 */
export function canonicalJson(value: unknown, depth = 0): string {
  if (depth > MAX_JSON_DEPTH) throw new TooDeepError();
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
