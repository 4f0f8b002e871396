import type { KeyPolicy } from "../model/config.ts";
import type { RequestFields } from "../request/request-fields.ts";

export type KeyParse = { ok: true; key: string } | { ok: false; detail: string };

const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/** RFC 8941 §3.3.3 sf-string: `"` … `"`, with `\"` and `\\` the only escapes. */
function parseSfString(raw: string): KeyParse {
  let out = "";
  for (let i = 1; i < raw.length; i++) {
    const ch = raw[i] as string;
    if (ch === "\\") {
      const next = raw[i + 1];
      if (next !== '"' && next !== "\\") return { ok: false, detail: 'an sf-string may only escape " and \\' };
      out += next;
      i++;
    } else if (ch === '"') {
      if (i !== raw.length - 1) {
        return {
          ok: false,
          detail: "text follows the closing quote (was the Idempotency-Key header sent twice?)",
        };
      }
      return { ok: true, key: out };
    } else {
      out += ch;
    }
  }
  return { ok: false, detail: "the quoted key has no closing quote" };
}

/**
 * Reads an `Idempotency-Key` header value. Accepts the IETF draft's
 * Structured Field string (`"abc"`) and the bare token Stripe's clients send
 * (`abc`). Either way the key itself must be 1–255 (or the route's
 * `maxLength`) characters of visible ASCII, matching the route's `pattern`.
 *
 * Headers sent twice reach the Worker joined by ", " (or by "," from some
 * proxies); neither a space nor a bare comma is valid in a bare key, so a
 * repeated header always fails here. A key with a comma is sent quoted.
 *
 * @example
 * parseKey('"a\\"b"', policy) // { ok: true, key: 'a"b' }
 * parseKey("abc, def", policy) // { ok: false, detail: "…sent twice…" }
 */
export function parseKey(raw: string, policy: KeyPolicy): KeyParse {
  let parsed: KeyParse;
  if (!policy.isStandardHeader) {
    parsed = { ok: true, key: raw };
  } else if (raw.startsWith('"')) {
    parsed = parseSfString(raw);
  } else if (raw.includes('"') || raw.includes("\\")) {
    parsed = { ok: false, detail: "a bare key must not contain quotes or backslashes; quote the whole key as an sf-string" };
  } else if (raw.includes(",")) {
    // Repeated headers arrive joined by ", " from the runtime, or by a bare "," from some proxies.
    parsed = {
      ok: false,
      detail: "the Idempotency-Key header was sent more than once (a key with a comma must be quoted as an sf-string)",
    };
  } else {
    parsed = { ok: true, key: raw };
  }
  if (!parsed.ok) return parsed;
  const key = parsed.key;
  if (key.length === 0) return { ok: false, detail: "the key is empty" };
  if (key.length > policy.maxLength) {
    return { ok: false, detail: `the key is ${key.length} characters long; at most ${policy.maxLength} are allowed` };
  }
  if (!VISIBLE_ASCII.test(key)) {
    return { ok: false, detail: "the key may only hold visible ASCII characters (no spaces, control or non-ASCII characters)" };
  }
  if (policy.pattern && !policy.pattern.test(key)) {
    return { ok: false, detail: `the key does not match the pattern ${policy.pattern.source}` };
  }
  return parsed;
}

/**
 * The request's key under a route's key policy, or undefined when the request
 * carries none. A single source is parsed with `parseKey`. A key built from a
 * list of fields exists only when every field is present and non-empty; its
 * values, as a JSON array, are the key (hashed into the record ID like any key).
 *
 * @throws FieldError when a field cannot be read unambiguously.
 * @example
 * readKey(policy, fields) // { ok: true, key: '["1012AB","12"]' } for source ["body:zip", "body:houseNumber"]
 */
export function readKey(policy: KeyPolicy, fields: RequestFields): KeyParse | undefined {
  const [single] = policy.sources;
  if (!policy.isComposite && single) {
    const raw = fields.get(single);
    return raw === undefined ? undefined : parseKey(raw, policy);
  }
  const values = policy.sources.map((ref) => fields.get(ref));
  if (values.some((value) => value === undefined || value === "")) return undefined;
  return { ok: true, key: JSON.stringify(values) };
}
