import { hashParts, sha256Hex } from "../crypto/digest.ts";
import { EXACT_PATHS, matchingPath, type PathMatching } from "../http/matching-path.ts";
import { isMultipartForm, mediaType, mediaTypeAs, type Parsing } from "../http/media-type.ts";
import { canonicalJson, canonicalPairs } from "../request/canonical.ts";
import type { FieldPairs } from "../request/form-pairs.ts";
import type { RequestFields } from "../request/request-fields.ts";
import { concatBytes } from "../util/bytes.ts";

/**
 * What each kind of body is hashed as starts with its own tag, and no tag is
 * the start of another: a body hashed as bytes can never spell out the
 * canonical text of a parsed one (`json:{"item":"book"}` sent as broken JSON
 * is not `{"item":"book"}`).
 */
const RAW_TAG = new TextEncoder().encode("bytes:");

/**
 * Form or query fields as the fingerprint counts them: sorted by name
 * (canonicalPairs), then, when some were sent without `=`, their places in
 * that order, since an origin may tell `?flag` from `?flag=`. Fields read as
 * PHP reads them are never bare: PHP reads both as "".
 */
function pairsPart(pairs: FieldPairs): string {
  const text = canonicalPairs(pairs.list);
  if (pairs.bare.length === 0) return text;
  const bare = new Set(pairs.bare);
  const name = (index: number) => pairs.list[index]?.[0] ?? "";
  const order = pairs.list.map((_, i) => i).sort((x, y) => (name(x) < name(y) ? -1 : name(x) > name(y) ? 1 : 0));
  return `${text};bare=${JSON.stringify(order.flatMap((index, place) => (bare.has(index) ? [place] : [])))}`;
}

/**
 * The Content-Type as the fingerprint counts it: the media type, then its
 * parameters (charset, …) sorted, names lower-cased and values as sent. A
 * multipart boundary is left out: it is random per send, and the parts
 * count instead (when the route reads the body as multipart). Without
 * parameters, the media type alone.
 *
 * @example
 * contentTypePart("Application/JSON; Charset=UTF-8", "strict") // "application/json;charset=UTF-8"
 */
function contentTypePart(contentType: string | null, parsing: Parsing): string {
  const type = mediaType(contentType);
  const multipart = isMultipartForm(mediaTypeAs(contentType, parsing));
  const parameters = (contentType ?? "")
    .split(";")
    .slice(1)
    .map((parameter) => {
      const equals = parameter.indexOf("=");
      return equals < 0 ? parameter.trim() : `${parameter.slice(0, equals).trim().toLowerCase()}=${parameter.slice(equals + 1).trim()}`;
    })
    .filter((parameter) => parameter !== "" && !(multipart && parameter.startsWith("boundary=")))
    .sort();
  return parameters.length === 0 ? type : `${type};${parameters.join(";")}`;
}

async function canonicalBodyDigest(fields: RequestFields): Promise<string> {
  const body = fields.parsedBody();
  if (body.kind === "json") return sha256Hex(`json:${canonicalJson(body.value)}`);
  if (body.kind === "form") {
    // Multipart boundaries are random per request, so a retry's bytes differ: its parts count instead, files by digest.
    const files = [...body.files].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    return sha256Hex(`form:${pairsPart(body.pairs)}:${JSON.stringify(files)}`);
  }
  if (body.kind === "none") return "none";
  return sha256Hex(concatBytes([RAW_TAG, fields.bodyBytes]));
}

/**
 * The request fingerprint: a hash over method, path, query, Content-Type (its
 * parameters included), the route's chosen headers, Content-Encoding and the
 * body, each read as the route reads them (its `parsing`). The path is spelt as route matching
 * reads it (`pathMatching`), but keeps its case: an origin that routes
 * `/Orders` as `/orders` may still tell `/orders/AbC` from `/orders/abc`. JSON bodies are hashed in canonical
 * form (sorted keys), form bodies (urlencoded or multipart, file parts by
 * content digest) and queries with their names sorted, so two encodings of
 * the same request agree. Any other body is hashed as bytes, under a tag of
 * its own so that no bytes hash as a parsed body does. Values are
 * compared as sent: a body that is not UTF-8 is never read as if it were.
 *
 * @throws TooDeepError for JSON nested past MAX_JSON_DEPTH.
 * @example
 * await requestFingerprint("POST", fields, ["x-tenant-version"])
 */
export async function requestFingerprint(
  method: string,
  fields: RequestFields,
  headerNames: readonly string[],
  pathMatching: PathMatching = EXACT_PATHS,
): Promise<string> {
  const headerParts = headerNames.map((name) => `${name}=${fields.headers.get(name) ?? ""}`);
  // Only when sent, so that a request without one keeps the fingerprint it had before Content-Encoding counted.
  const encoding = fields.headers.get("content-encoding");
  return hashParts([
    method,
    matchingPath(fields.url.pathname, pathMatching),
    pairsPart(fields.query),
    contentTypePart(fields.headers.get("content-type"), fields.parsing),
    ...headerParts,
    ...(encoding === null ? [] : [`content-encoding=${encoding.trim().toLowerCase()}`]),
    await canonicalBodyDigest(fields),
  ]);
}
