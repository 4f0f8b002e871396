import * as v from "valibot";
import { type HeaderList, storableResponseHeaders } from "../http/headers.ts";
import type { OperatorResponse } from "../protocol/snapshots.ts";
import { errorMessage } from "../util/error-message.ts";

/**
 * The body of `PUT /records/{record}/response`: the answer an operator found
 * out at the origin for a request whose outcome was unknown.
 */
const operatorResponse = v.strictObject({
  status: v.pipe(v.number(), v.integer(), v.minValue(200, "must be 200-599"), v.maxValue(599, "must be 200-599")),
  /** `{"content-type": "application/json"}`, or a list of [name, value] pairs to repeat a name. */
  headers: v.optional(v.union([v.record(v.string(), v.string()), v.array(v.tuple([v.string(), v.string()]))]), {}),
  body: v.optional(v.string(), ""),
  bodyEncoding: v.optional(v.picklist(["utf-8", "base64"]), "utf-8"),
});

/** A valid operator response, or why it is not one. */
export type ParsedOperatorResponse = { ok: true; response: OperatorResponse } | { ok: false; detail: string };

function decodeBody(body: string, encoding: "utf-8" | "base64"): Uint8Array | undefined {
  if (encoding === "utf-8") return new TextEncoder().encode(body);
  try {
    return Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/**
 * Checks an operator's response before it is stored: a status a client can
 * be given (200–599), headers that are valid and storable (no hop-by-hop or
 * framing header, no Set-Cookie: Idem never replays those), and a body no
 * larger than the route may store.
 *
 * @example
 * parseOperatorResponse({ status: 201, headers: { "content-type": "application/json" }, body: '{"id":"ord_1"}' }, 10 * 1024 * 1024)
 * // { ok: true, response: { status: 201, headers: [["content-type", "application/json"]], body: Uint8Array(14) } }
 */
export function parseOperatorResponse(input: unknown, maxBodyBytes: number): ParsedOperatorResponse {
  const parsed = v.safeParse(operatorResponse, input);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const at = issue.path?.map((p) => String(p.key)).join(".") || "body";
    return { ok: false, detail: `${at}: ${issue.message}; send {"status", "headers", "body", "bodyEncoding"}` };
  }
  const { status, headers: given, body, bodyEncoding } = parsed.output;
  let headers: Headers;
  try {
    headers = new Headers(Array.isArray(given) ? given : Object.entries(given));
  } catch (error) {
    return { ok: false, detail: `headers: ${errorMessage(error)}` };
  }
  const storable: HeaderList = storableResponseHeaders(headers);
  const dropped = [...new Set([...headers.keys()])].filter((name) => !storable.some(([kept]) => kept === name));
  if (dropped.length > 0) {
    return { ok: false, detail: `headers: ${dropped.join(", ")} cannot be stored (hop-by-hop, framing or per-attempt headers are never replayed)` };
  }
  const bytes = decodeBody(body, bodyEncoding);
  if (!bytes) return { ok: false, detail: "body: not valid base64" };
  if (bytes.byteLength > maxBodyBytes) {
    return { ok: false, detail: `body: ${bytes.byteLength} bytes is more than the route stores (maxStoredResponseBytes ${maxBodyBytes})` };
  }
  return { ok: true, response: { status, headers: storable, body: bytes } };
}
