import { sha256Hex } from "../crypto/digest.ts";
import { isJson, isMultipartForm, isUrlencodedForm } from "../http/media-type.ts";
import { errorMessage } from "../util/error-message.ts";
import { parseExactJson, TooDeepError } from "./canonical.ts";
import { FieldError } from "./field-error.ts";
import { binaryString, bytesOfBinary, FieldPairs, losslessText } from "./form-pairs.ts";

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
 * give the same fields (`pairs`); `unreadable` is a JSON or multipart body
 * that cannot be parsed: remembered, and only reported when a field is read.
 */
export type ParsedBody =
  | { kind: "json"; value: unknown }
  | { kind: "form"; encoding: "urlencoded" | "multipart"; pairs: FieldPairs; files: readonly FilePart[] }
  | { kind: "unreadable"; reason: string }
  | { kind: "other" }
  | { kind: "none" };

// A JSON text may start with a BOM, which parsers ignore (RFC 8259 §8.1); it is dropped.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const encoder = new TextEncoder();

function parseJson(bytes: Uint8Array): ParsedBody {
  let text: string;
  try {
    // JSON is UTF-8 (RFC 8259 §8.1). Decoding other bytes with U+FFFD in their place would make two different documents one.
    text = utf8.decode(bytes);
  } catch {
    return { kind: "unreadable", reason: "the JSON body is not valid UTF-8" };
  }
  try {
    return { kind: "json", value: parseExactJson(text) };
  } catch (error) {
    // Too deep is not "unreadable, hash the bytes": no route may take it, so it is refused (400) up front.
    if (error instanceof TooDeepError) throw error;
    return { kind: "unreadable", reason: `the JSON body cannot be parsed (${errorMessage(error)})` };
  }
}

/**
 * Parses a `multipart/form-data` body with the runtime's own parser
 * (`Request.formData()`). That parser decodes text parts as UTF-8 with loss;
 * when the body is not valid UTF-8 it is given each byte as the UTF-8 of
 * one code unit, so that every part comes back byte for byte (see
 * form-pairs.ts).
 */
async function parseMultipart(contentType: string, bytes: Uint8Array): Promise<ParsedBody> {
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
  return { kind: "form", encoding: "multipart", pairs: new FieldPairs(pairs), files };
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
 * Parses a body that needs no await: JSON, urlencoded forms and anything
 * else; a multipart body cannot be parsed here.
 *
 * @throws TooDeepError for JSON nested past MAX_JSON_DEPTH; UnparsedMultipartError for a multipart body.
 * @example
 * parseBodyNow("application/json", bytes) // { kind: "json", value: … }
 */
export function parseBodyNow(contentType: string | null, bytes: Uint8Array): ParsedBody {
  if (bytes.byteLength === 0) return { kind: "none" };
  if (isJson(contentType)) return parseJson(bytes);
  if (isUrlencodedForm(contentType)) return { kind: "form", encoding: "urlencoded", pairs: FieldPairs.fromUrlencoded(bytes), files: [] };
  if (isMultipartForm(contentType)) throw new UnparsedMultipartError();
  return { kind: "other" };
}

/**
 * Parses any body Idem reads: JSON, urlencoded and multipart forms.
 *
 * @throws TooDeepError for JSON nested past MAX_JSON_DEPTH.
 * @example
 * await parseBody("multipart/form-data; boundary=x", bytes) // { kind: "form", encoding: "multipart", pairs, files }
 */
export async function parseBody(contentType: string | null, bytes: Uint8Array): Promise<ParsedBody> {
  if (bytes.byteLength > 0 && isMultipartForm(contentType)) return parseMultipart(contentType ?? "", bytes);
  return parseBodyNow(contentType, bytes);
}
