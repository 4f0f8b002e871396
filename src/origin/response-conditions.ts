import type { Condition } from "../model/config.ts";
import { conditionsHold } from "../request/conditions.ts";
import { FieldError } from "../request/field-error.ts";
import { RequestFields } from "../request/request-fields.ts";
import type { OriginResponse } from "./exchange.ts";

/** Response conditions read only headers and the body; this URL is never consulted. */
const NO_URL = new URL("http://response.invalid/");

/**
 * Whether an origin answer meets `successWhen` (conditions on its `header:`
 * and `body:` fields), and so may be stored and replayed. APIs such as Erply
 * answer errors with HTTP 200 and an error code in the body; stored, such an
 * answer would burn a single-use key or turn every later copy of a document
 * into the same error for the whole window.
 *
 * With no conditions every answer counts. An answer too large to read whole,
 * or whose body cannot be parsed, does not: when in doubt, nothing is stored
 * and the next attempt is forwarded.
 *
 * @example
 * meetsSuccessConditions([{ field: parseFieldRef("body:/status/responseStatus"), values: ["ok"] }], response) // false for an Erply error
 */
export function meetsSuccessConditions(conditions: readonly Condition[], response: OriginResponse): boolean {
  if (conditions.length === 0) return true;
  if (response.rest) return false;
  try {
    const headers = new Headers(response.headers);
    // fetch() has decoded the body already: its Content-Encoding no longer describes these bytes.
    headers.delete("content-encoding");
    // A request with a BOM is refused (origins disagree on it); an answer is only judged, and some servers send one.
    const body = response.body[0] === 0xef && response.body[1] === 0xbb && response.body[2] === 0xbf ? response.body.subarray(3) : response.body;
    return conditionsHold(conditions, new RequestFields(NO_URL, headers, body));
  } catch (error) {
    if (error instanceof FieldError) return false;
    throw error;
  }
}
