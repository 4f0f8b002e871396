import type { Condition } from "../config/resolve.ts";
import { conditionsHold } from "../request/conditions.ts";
import { FieldError, RequestFields } from "../request/request-fields.ts";
import type { OriginResponse } from "./exchange.ts";

/** Response conditions read only headers and the body; this URL is never consulted. */
const NO_URL = new URL("http://response.invalid/");

/**
 * Whether an origin response meets a route's `neverStoreWhen` conditions
 * (`header:` and `body:` refs, read from the response). APIs such as Erply
 * answer errors with HTTP 200 and say so in the body, so the status alone
 * cannot tell that nothing was executed.
 *
 * A body that passed the buffer limit, or that is not valid JSON where a JSON
 * pointer is asked for, does not meet them.
 *
 * @example
 * responseMatches([{ field: parseFieldRef("body:/status/responseStatus"), values: ["error"] }], response) // true for an Erply error
 */
export function responseMatches(conditions: readonly Condition[], response: OriginResponse): boolean {
  if (conditions.length === 0 || response.rest) return false;
  const fields = new RequestFields(NO_URL, new Headers(response.headers), response.body);
  try {
    return conditionsHold(conditions, fields);
  } catch (error) {
    if (error instanceof FieldError) return false;
    throw error;
  }
}
