import { MAX_JSON_DEPTH, TooDeepError } from "./canonical.ts";

/**
 * A JSON number exactly as the client wrote it. `JSON.parse` rounds numbers
 * to doubles, so 12345678901234567890 and 12345678901234567891 become the
 * same value; comparing documents on rounded numbers could take two
 * different documents for one.
 *
 * @example
 * new JsonNumberText("12345678901234567890").text // "12345678901234567890"
 */
export class JsonNumberText {
  constructor(readonly text: string) {}
}

/**
 * Parses JSON keeping every number's source text (as a JsonNumberText).
 *
 * @throws SyntaxError for invalid JSON.
 * @example
 * parseExactJson('{"n":1.0}') // { n: JsonNumberText { text: "1.0" } }
 */
export function parseExactJson(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === "number" ? new JsonNumberText(context?.source ?? String(value)) : value,
  );
}

/**
 * Serialises a value from `parseExactJson` as JSON with object keys sorted
 * and numbers as sent: `"1"` (a string), `1` and `1.0` all stay distinct.
 *
 * @throws TooDeepError past MAX_JSON_DEPTH levels.
 * @example
 * exactJsonText(parseExactJson('{"b":1.50,"a":"x"}')) // '{"a":"x","b":1.50}'
 */
export function exactJsonText(value: unknown, depth = 0): string {
  if (depth > MAX_JSON_DEPTH) throw new TooDeepError();
  if (value instanceof JsonNumberText) return value.text;
  if (Array.isArray(value)) return `[${value.map((item) => exactJsonText(item, depth + 1)).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${exactJsonText((value as Record<string, unknown>)[k], depth + 1)}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
