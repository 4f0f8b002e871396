import { FieldError } from "./field-error.ts";

/** JSON deeper than this is refused rather than walked: no real API document nests this far. */
export const MAX_JSON_DEPTH = 64;

/** A FieldError: a body nested this deep cannot be read, whichever field a route wants from it. */
export class TooDeepError extends FieldError {
  constructor() {
    super(`JSON nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
}

/** A FieldError: JSON that origins read differently (a BOM, a member named twice), refused rather than read one way. */
export class AmbiguousJsonError extends FieldError {}

/**
 * The first member name an object of a valid JSON text holds twice, compared
 * as decoded (`"a"` and `"\u0061"` are one name); undefined when none is.
 * `JSON.parse` keeps the last copy silently, so this scans the text itself.
 *
 * @example
 * duplicateMember('{"a":1,"b":{"a":2},"a":3}') // "a"
 * duplicateMember('[{"a":1},{"a":2}]') // undefined
 */
export function duplicateMember(text: string): string | undefined {
  // One entry per open container: the names seen in an object, or null for an array.
  const open: (Set<string> | null)[] = [];
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      let end = i + 1;
      let escaped = false;
      while (text[end] !== '"') {
        if (text[end] === "\\") {
          escaped = true;
          end++;
        }
        end++;
      }
      const names = open.at(-1);
      if (expectName && names) {
        const raw = text.slice(i + 1, end);
        const name = escaped ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        if (names.has(name)) return name;
        names.add(name);
        expectName = false;
      }
      i = end;
    } else if (char === "{") {
      open.push(new Set());
      expectName = true;
    } else if (char === "[") {
      open.push(null);
    } else if (char === "}" || char === "]") {
      open.pop();
    } else if (char === ",") {
      expectName = open.length > 0 && open.at(-1) !== null;
    }
  }
  return undefined;
}

/**
 * A JSON number exactly as the client wrote it. `JSON.parse` rounds numbers
 * to doubles, so 12345678901234567890 and 12345678901234567891 become the
 * same value; comparing requests on rounded numbers could take two
 * different requests (or two different document IDs) for one.
 *
 * @example
 * new JsonNumberText("12345678901234567890").text // "12345678901234567890"
 */
export class JsonNumberText {
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }
}

/**
 * Whether a parsed JSON value holds members: an object or an array. A
 * number kept as its text (JsonNumberText) is a value, never a container:
 * a pointer past it names nothing.
 *
 * @example
 * isJsonContainer(parseExactJson('{"a":1}')) // true
 * isJsonContainer(parseExactJson("1.0")) // false
 */
export function isJsonContainer(value: unknown): value is object {
  return value !== null && typeof value === "object" && !(value instanceof JsonNumberText);
}

/**
 * Parses JSON keeping every number's source text (as a JsonNumberText).
 *
 * @throws SyntaxError for invalid JSON; TooDeepError for nesting deep enough
 *   to exhaust the stack (the reviver walks the document recursively).
 * @example
 * parseExactJson('{"n":1.0}') // { n: JsonNumberText { text: "1.0" } }
 */
export function parseExactJson(text: string): unknown {
  try {
    return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
      typeof value === "number" ? new JsonNumberText(context?.source ?? String(value)) : value,
    );
  } catch (error) {
    if (error instanceof RangeError) throw new TooDeepError();
    throw error;
  }
}

/**
 * Serialises a JSON value with object keys sorted at every level, so that
 * `{"a":1,"b":2}` and `{"b":2,"a":1}` give the same text. Array order is kept:
 * it is part of the meaning. Numbers from `parseExactJson` are written as sent,
 * so `1`, `1.0` and `"1"` stay distinct.
 *
 * @throws TooDeepError past MAX_JSON_DEPTH levels.
 * @example
 * canonicalJson(parseExactJson('{"b":[2,{"d":1.50,"c":0}],"a":"x"}')) // '{"a":"x","b":[2,{"c":0,"d":1.50}]}'
 */
export function canonicalJson(value: unknown, depth = 0): string {
  if (depth > MAX_JSON_DEPTH) throw new TooDeepError();
  if (value instanceof JsonNumberText) return value.text;
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
 * Serialises form or query pairs sorted by name, as JSON (which keeps every
 * value apart, the lone surrogates of a non-UTF-8 value included). The sort
 * is stable, so the relative order of repeated names (`tag=a&tag=b`) still counts.
 *
 * @example
 * canonicalPairs([["b", "2"], ["a", "1"], ["b", "1"]]) // '[["a","1"],["b","2"],["b","1"]]'
 */
export function canonicalPairs(pairs: readonly (readonly [string, string])[]): string {
  const sorted = [...pairs].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  return JSON.stringify(sorted);
}
