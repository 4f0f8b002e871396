import { sha256Hex } from "../crypto/digest.ts";
import { isJson, isMultipartForm, isUrlencodedForm, mediaTypeAs, type Parsing } from "../http/media-type.ts";
import { errorMessage } from "../util/error-message.ts";
import { AmbiguousJsonError, duplicateMember, parseExactJson, TooDeepError } from "./canonical.ts";
import { FieldError } from "./field-error.ts";
import { binaryString, bytesOfBinary, FieldPairs, losslessText } from "./form-pairs.ts";
import { phpFieldName, phpFields } from "./php-fields.ts";

/** A file part of a multipart body: it is no field, but its content counts in the fingerprint by digest. */
export interface FilePart {
  name: string;
  filename: string;
  type: string;
  /** SHA-256 of the file's bytes as sent, in hex. */
  sha256: string;
}

/**
 * A request body as Idem reads it. Form bodies, urlencoded or multipart,
 * give the same fields (`pairs`). Two kinds hold no fields, and are only
 * reported when a field is read (a keyed request's fingerprint hashes their
 * bytes): `unreadable`, a JSON or multipart body that cannot be parsed (400),
 * and `unsupported`, a body Idem does not read at all: encoded, of a media
 * type it does not read, or JSON sent as a form (415).
 */
export type ParsedBody =
  | { kind: "json"; value: unknown }
  | { kind: "form"; encoding: "urlencoded" | "multipart"; pairs: FieldPairs; files: readonly FilePart[] }
  | { kind: "unreadable"; reason: string }
  | { kind: "unsupported"; reason: string }
  | { kind: "none" };

/** What a body's parse depends on besides its bytes: two headers, and how the route reads them. */
export interface BodyHead {
  contentType: string | null;
  contentEncoding: string | null;
  parsing: Parsing;
}

/**
 * The head of a request, read by the route's parsing.
 *
 * @example
 * bodyHead(request.headers, "php") // { contentType: "application/x-www-form-urlencoded", contentEncoding: null, parsing: "php" }
 */
export function bodyHead(headers: Headers, parsing: Parsing): BodyHead {
  return { contentType: headers.get("content-type"), contentEncoding: headers.get("content-encoding"), parsing };
}

/**
 * A body with a BOM or a member named twice is refused by every route that
 * parses it, not hashed as bytes: origins disagree on it (JSON.parse and
 * PHP's json_decode reject a BOM that other parsers skip; most parsers keep
 * a repeated member's last value, some its first), so no reading of it is
 * the origin's for sure.
 */
const BOM = "\uFEFF";
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

function parseJson(bytes: Uint8Array): ParsedBody {
  let text: string;
  try {
    // JSON is UTF-8 (RFC 8259 §8.1). Decoding other bytes with U+FFFD in their place would make two different documents one.
    text = utf8.decode(bytes);
  } catch {
    return { kind: "unreadable", reason: "the JSON body is not valid UTF-8" };
  }
  if (text.startsWith(BOM)) throw new AmbiguousJsonError("the JSON body starts with a byte order mark (U+FEFF), which origins read differently");
  let value: unknown;
  try {
    value = parseExactJson(text);
  } catch (error) {
    // Too deep is not "unreadable, hash the bytes": no route may take it, so it is refused (400) up front.
    if (error instanceof TooDeepError) throw error;
    return { kind: "unreadable", reason: `the JSON body cannot be parsed (${errorMessage(error)})` };
  }
  const repeated = duplicateMember(text);
  if (repeated !== undefined)
    throw new AmbiguousJsonError(`the JSON body holds the member ${JSON.stringify(repeated)} twice in one object, which origins read differently`);
  return { kind: "json", value };
}

/** A reason not to read the body at all, before its media type is looked at: an encoding. */
function encodingRefusal(contentEncoding: string | null): string | undefined {
  const coding = (contentEncoding ?? "").trim().toLowerCase();
  if (coding === "" || coding === "identity") return undefined;
  return `the body is sent with Content-Encoding: ${coding}, and Idem reads no encoded request body (send it unencoded)`;
}

/** A form whose text is a JSON object or array: JSON sent with curl's default type, whose fields no rule would see. */
function looksLikeJson(bytes: Uint8Array): boolean {
  for (const byte of bytes) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return byte === 0x7b || byte === 0x5b;
  }
  return false;
}

function unsupportedType(contentType: string | null): ParsedBody {
  const reason =
    contentType === null
      ? "the body is sent without a Content-Type"
      : `the body is sent as ${JSON.stringify(contentType)}, which is not a media type Idem reads (JSON, application/x-www-form-urlencoded or multipart/form-data)`;
  return { kind: "unsupported", reason };
}

/**
 * Parses a `multipart/form-data` body with the runtime's own parser
 * (`Request.formData()`). That parser decodes text parts as UTF-8 with loss;
 * when the body is not valid UTF-8 it is given each byte as the UTF-8 of
 * one code unit, so that every part comes back byte for byte (see
 * form-pairs.ts).
 */
async function parseMultipart(contentType: string, bytes: Uint8Array, parsing: Parsing): Promise<ParsedBody> {
  let exact = true;
  try {
    utf8.decode(bytes);
  } catch {
    exact = false;
  }
  let form: FormData;
  try {
    const body = exact ? bytes : encoder.encode(binaryString(bytes));
    form = await new Request("http://body.invalid/", { method: "POST", headers: { "content-type": contentType }, body }).formData();
  } catch (error) {
    return { kind: "unreadable", reason: `the multipart body cannot be parsed (${errorMessage(error)})` };
  }
  const text = (value: string) => (exact ? value : losslessText(bytesOfBinary(value)));
  const pairs: [string, string][] = [];
  const files: FilePart[] = [];
  for (const [name, value] of form) {
    if (typeof value === "string") {
      pairs.push([text(name), text(value)]);
      continue;
    }
    const content = new Uint8Array(await value.arrayBuffer());
    const sent = exact ? content : bytesOfBinary(new TextDecoder().decode(content));
    files.push({ name: text(name), filename: text(value.name), type: value.type, sha256: await sha256Hex(sent) });
  }
  if (parsing === "strict") return { kind: "form", encoding: "multipart", pairs: new FieldPairs(pairs), files };
  const phpFiles = files.map((file) => ({ ...file, name: phpFieldName(file.name) }));
  return { kind: "form", encoding: "multipart", pairs: phpFields(new FieldPairs(pairs)), files: phpFiles };
}

/** The Content-Type the runtime's multipart parser is given: for PHP, its media type and boundary alone, as PHP reads them. */
function multipartContentType({ contentType, parsing }: BodyHead): string {
  if (parsing === "strict") return contentType ?? "";
  const boundary = /boundary=(?:"([^"]*)"|([^;,\s]*))/i.exec(contentType ?? "");
  return `multipart/form-data; boundary="${boundary?.[1] ?? boundary?.[2] ?? ""}"`;
}

/**
 * Thrown when a multipart body is read without `parseBody`, which alone can
 * parse one (the runtime's parser is async). A FieldError, so that where it
 * can happen (an origin's answer read for `successWhen`) the body counts as
 * unreadable.
 */
export class UnparsedMultipartError extends FieldError {
  constructor() {
    super("a multipart/form-data body must be parsed with parseBody (RequestFields.read) before its fields are read");
  }
}

/**
 * Whether a body is multipart as the route reads it, and so must be parsed
 * with `parseBody` (the runtime's multipart parser is async).
 *
 * @example
 * isMultipartBody(bodyHead(headers, "strict"), bytes) // true for a multipart upload
 */
export function isMultipartBody(head: BodyHead, bytes: Uint8Array): boolean {
  return bytes.byteLength > 0 && encodingRefusal(head.contentEncoding) === undefined && isMultipartForm(mediaTypeAs(head.contentType, head.parsing));
}

/**
 * Parses a body that needs no await: JSON, urlencoded forms, and anything
 * Idem does not read (`unsupported`); a multipart body cannot be parsed here.
 *
 * @throws AmbiguousJsonError for JSON with a BOM or a repeated member; TooDeepError for JSON nested past
 *   MAX_JSON_DEPTH; UnparsedMultipartError for a multipart body.
 * @example
 * parseBodyNow({ contentType: "application/json", contentEncoding: null, parsing: "strict" }, bytes) // { kind: "json", value: … }
 */
export function parseBodyNow(head: BodyHead, bytes: Uint8Array): ParsedBody {
  if (bytes.byteLength === 0) return { kind: "none" };
  const encoded = encodingRefusal(head.contentEncoding);
  if (encoded !== undefined) return { kind: "unsupported", reason: encoded };
  const type = mediaTypeAs(head.contentType, head.parsing);
  if (isJson(type)) return parseJson(bytes);
  if (isUrlencodedForm(type)) {
    if (looksLikeJson(bytes)) {
      return { kind: "unsupported", reason: "the body is JSON sent as application/x-www-form-urlencoded (send Content-Type: application/json)" };
    }
    const pairs = FieldPairs.fromUrlencoded(bytes);
    return { kind: "form", encoding: "urlencoded", pairs: head.parsing === "php" ? phpFields(pairs) : pairs, files: [] };
  }
  if (isMultipartForm(type)) throw new UnparsedMultipartError();
  return unsupportedType(head.contentType);
}

/**
 * Parses any body Idem reads: JSON, urlencoded and multipart forms.
 *
 * @throws AmbiguousJsonError, TooDeepError as parseBodyNow.
 * @example
 * await parseBody({ contentType: "multipart/form-data; boundary=x", contentEncoding: null, parsing: "strict" }, bytes) // { kind: "form", encoding: "multipart", pairs, files }
 */
export async function parseBody(head: BodyHead, bytes: Uint8Array): Promise<ParsedBody> {
  if (isMultipartBody(head, bytes)) return parseMultipart(multipartContentType(head), bytes, head.parsing);
  return parseBodyNow(head, bytes);
}
