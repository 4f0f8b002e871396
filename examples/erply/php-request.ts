/**
 * How the Erply-like origin reads a request: the way Erply's PHP back end
 * does, written here from PHP's own rules rather than from Idem's, so that
 * a test in front of it shows where Idem reads a request differently.
 *
 * - The media type is the Content-Type lower-cased and cut at the first `;`,
 *   `,` or space (main/SAPI.c), so `application/x-www-form-urlencoded,
 *   text/plain` is a form.
 * - Form and query field names (main/php_variables.c): leading spaces
 *   dropped, spaces and dots before the first `[` turned into `_`, nameless
 *   fields dropped, and a repeated name keeps its last value.
 * - A gzip or deflate body is inflated first, as a front server with an
 *   inflating input filter (Apache's `SetInputFilter DEFLATE`) hands it on.
 * - A JSON body is what `json_decode(file_get_contents("php://input"))` reads:
 *   a repeated member keeps its last value, and a byte order mark is an error.
 *
 * Node runs this file as is (type stripping only).
 */
import type { IncomingMessage } from "node:http";
import { buffer } from "node:stream/consumers";
import { gunzipSync, inflateSync } from "node:zlib";
import type { DemoBody, ReadBody } from "../../demo/request-body.ts";
import { errorMessage } from "../../src/util/error-message.ts";

/** PHP's name for a field: see the file's opening comment. Empty when PHP registers nothing. */
function phpName(name: string): string {
  const trimmed = name.replace(/^ +/, "");
  const bracket = trimmed.indexOf("[");
  const head = (bracket < 0 ? trimmed : trimmed.slice(0, bracket)).replaceAll(" ", "_").replaceAll(".", "_");
  if (bracket < 0) return head;
  const rest = trimmed.slice(bracket);
  return rest.includes("]") ? head + rest : `${head}_${rest.slice(1)}`;
}

/** Fields as PHP registers them: renamed, nameless ones dropped, the last value of a repeated name. */
function phpFields(pairs: Iterable<[string, string]>): [string, string][] {
  const fields = new Map<string, string>();
  for (const [name, value] of pairs) {
    const registered = phpName(name);
    if (registered === "") continue;
    fields.delete(registered);
    fields.set(registered, value);
  }
  return [...fields];
}

/** `$_GET`: the query string's fields as PHP registers them. */
export function phpQuery(url: URL): Record<string, string> {
  return Object.fromEntries(phpFields(new URLSearchParams(url.search)));
}

function inflated(encoding: string | undefined, bytes: Buffer): Buffer {
  const coding = (encoding ?? "").trim().toLowerCase();
  if (coding === "gzip" || coding === "x-gzip") return gunzipSync(bytes);
  if (coding === "deflate") return inflateSync(bytes);
  return bytes;
}

async function parse(contentType: string, bytes: Buffer): Promise<DemoBody> {
  if (bytes.byteLength === 0) return { kind: "none" };
  const type = contentType.split(/[;, ]/, 1)[0]?.toLowerCase() ?? "";
  if (type === "application/json" || type === "text/json" || type.endsWith("+json")) {
    try {
      return { kind: "json", value: JSON.parse(bytes.toString("utf8")) };
    } catch (error) {
      return { kind: "invalid", reason: errorMessage(error) };
    }
  }
  if (type === "application/x-www-form-urlencoded")
    return { kind: "form", fields: phpFields(new URLSearchParams(bytes.toString("utf8"))), files: [] };
  if (type !== "multipart/form-data") return { kind: "other" };
  const boundary = /boundary=(?:"([^"]*)"|([^;,\s]*))/i.exec(contentType);
  try {
    const headers = { "content-type": `multipart/form-data; boundary="${boundary?.[1] ?? boundary?.[2] ?? ""}"` };
    const form = await new Request("http://origin/", { method: "POST", headers, body: bytes }).formData();
    const texts: [string, string][] = [];
    const files: { name: string; filename: string; size: number }[] = [];
    for (const [name, value] of form) {
      if (typeof value === "string") texts.push([name, value]);
      else files.push({ name: phpName(name), filename: value.name, size: value.size });
    }
    return { kind: "form", fields: phpFields(texts), files };
  } catch (error) {
    return { kind: "invalid", reason: errorMessage(error) };
  }
}

/**
 * Reads a request's body as PHP would hand it to Erply's code.
 *
 * @example
 * const { body } = await readPhpBody(req);
 * if (body.kind === "form") Object.fromEntries(body.fields) // `$_POST`
 */
export async function readPhpBody(req: IncomingMessage): Promise<ReadBody> {
  const sent = await buffer(req);
  let bytes: Buffer;
  try {
    bytes = inflated(req.headers["content-encoding"], sent);
  } catch (error) {
    return { text: sent.toString("utf8"), body: { kind: "invalid", reason: errorMessage(error) } };
  }
  return { text: bytes.toString("utf8"), body: await parse(req.headers["content-type"] ?? "", bytes) };
}
