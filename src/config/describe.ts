import type { IdemConfig } from "./resolve.ts";

/** A JSON value. */
export type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

/** Derived fields that only restate another field of the same object. */
const RESTATED = new Set(["isStandardHeader", "isComposite", "sourceText", "record"]);

function isFieldRef(value: object): value is { text: string } {
  return "text" in value && "source" in value && "name" in value && typeof value.text === "string";
}

function isStatusRange(value: object): value is { from: number; to: number } {
  const keys = Object.keys(value);
  return keys.length === 2 && "from" in value && "to" in value;
}

function plain(value: unknown): Plain {
  if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (value instanceof RegExp) return value.source;
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object") {
    if (isFieldRef(value)) return value.text;
    if (isStatusRange(value)) return value.from === value.to ? value.from : `${value.from}-${value.to}`;
    const out: Record<string, Plain> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined && !RESTATED.has(key)) out[key] = plain(item);
    }
    return out;
  }
  return null;
}

/**
 * The effective config (every default applied) as plain JSON: field
 * references as written, status ranges as `"500-599"`, patterns as their
 * source. The admin health endpoint reports it and `check-config` prints it.
 * It is derived field by field from the resolved config, so a new config
 * field shows up here without further work.
 *
 * @example
 * describeConfig(loadConfig(raw)).routes[0].key // { sources: ["header:Idempotency-Key"], required: false, maxLength: 255 }
 */
export function describeConfig(config: IdemConfig): { [key: string]: Plain } {
  return plain(config) as { [key: string]: Plain };
}
