/**
 * Which bodies are JSON, form or multipart: one rule for Idem (reading
 * request fields and origin answers) and for every demo origin, so that a
 * test origin never reads a body Idem could not, or the other way round.
 * Node runs this file as is (type stripping only), so it holds no parameter
 * properties or enums.
 */
import type { InferOutput } from "valibot";
import type { parsingSchema } from "../model/enumerations.ts";

/**
 * The media type of a Content-Type value: lower-case, without parameters.
 *
 * @example
 * mediaType("Application/JSON; charset=utf-8") // "application/json"
 * mediaType(null) // ""
 */
export function mediaType(contentType: string | null | undefined): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/**
 * Whether a Content-Type names JSON: `application/json`, any `+json`
 * structured syntax suffix (RFC 6839: `application/problem+json`,
 * `application/vnd.api+json`) and the older `text/json`, all of which JSON
 * APIs accept in practice.
 *
 * @example
 * isJson("text/json; charset=utf-8") // true
 * isJson("application/jsonl") // false: JSON Lines is not one JSON document
 */
export function isJson(contentType: string | null | undefined): boolean {
  const type = mediaType(contentType);
  return type === "application/json" || type === "text/json" || type.endsWith("+json");
}

/**
 * Whether a Content-Type names an HTML-style form (`application/x-www-form-urlencoded`).
 *
 * @example
 * isUrlencodedForm("application/x-www-form-urlencoded;charset=UTF-8") // true
 */
export function isUrlencodedForm(contentType: string | null | undefined): boolean {
  return mediaType(contentType) === "application/x-www-form-urlencoded";
}

/**
 * Whether a Content-Type names a `multipart/form-data` body (what cURL sends
 * for an array of fields, and PHP's `CURLOPT_POSTFIELDS` with an array).
 *
 * @example
 * isMultipartForm("multipart/form-data; boundary=----x") // true
 */
export function isMultipartForm(contentType: string | null | undefined): boolean {
  return mediaType(contentType) === "multipart/form-data";
}

/**
 * How a route reads a request's media type and fields, to read them as its
 * origin does: `strict` (the default) by the declared media type, as
 * `mediaType` spells it; `php` as PHP does (`phpMediaType`, and form and
 * query field names as src/request/php-fields.ts renames them).
 */
export type Parsing = InferOutput<typeof parsingSchema>;

/**
 * The media type as PHP reads it (main/SAPI.c, `sapi_read_post_data`): the
 * Content-Type lower-cased and cut at the first `;`, `,` or space, so PHP
 * takes `application/x-www-form-urlencoded, text/plain` for a form.
 *
 * @example
 * phpMediaType("application/x-www-form-urlencoded, text/plain") // "application/x-www-form-urlencoded"
 */
export function phpMediaType(contentType: string | null | undefined): string {
  return (contentType ?? "").split(/[;, ]/, 1)[0]?.toLowerCase() ?? "";
}

/**
 * The media type a route reads a Content-Type as (see `Parsing`).
 *
 * @example
 * mediaTypeAs("text/plain, application/json", "strict") // "text/plain, application/json": no media type Idem reads
 */
export function mediaTypeAs(contentType: string | null | undefined, parsing: Parsing): string {
  return parsing === "php" ? phpMediaType(contentType) : mediaType(contentType);
}
