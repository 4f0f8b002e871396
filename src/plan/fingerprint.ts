import { hashParts, sha256Hex } from "../crypto/digest.ts";
import { EXACT_PATHS, matchingPath, type PathMatching } from "../http/matching-path.ts";
import { mediaType } from "../http/media-type.ts";
import { canonicalJson, canonicalPairs } from "../request/canonical.ts";
import type { RequestFields } from "../request/request-fields.ts";
import { concatBytes } from "../util/bytes.ts";

/**
 * What each kind of body is hashed as starts with its own tag, and no tag is
 * the start of another: a body hashed as bytes can never spell out the
 * canonical text of a parsed one (`json:{"item":"book"}` sent as broken JSON
 * is not `{"item":"book"}`).
 */
const RAW_TAG = new TextEncoder().encode("bytes:");

async function canonicalBodyDigest(fields: RequestFields): Promise<string> {
  const body = fields.parsedBody();
  if (body.kind === "json") return sha256Hex(`json:${canonicalJson(body.value)}`);
  if (body.kind === "form") {
    // Multipart boundaries are random per request, so a retry's bytes differ: its parts count instead, files by digest.
    const files = [...body.files].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    return sha256Hex(`form:${canonicalPairs(body.pairs.list)}:${JSON.stringify(files)}`);
  }
  if (body.kind === "none") return "none";
  return sha256Hex(concatBytes([RAW_TAG, fields.bodyBytes]));
}

/**
 * The request fingerprint: a hash over method, path, query, media type, the
 * route's chosen headers and the body. The path is spelt as route matching
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
  return hashParts([
    method,
    matchingPath(fields.url.pathname, pathMatching),
    canonicalPairs(fields.query.list),
    mediaType(fields.headers.get("content-type")),
    ...headerParts,
    await canonicalBodyDigest(fields),
  ]);
}
