import type { Condition } from "../config/resolve.ts";
import type { OriginResponse } from "../origin/exchange.ts";
import { TooDeepError } from "../request/canonical.ts";
import { conditionsHold } from "../request/conditions.ts";
import { FieldError, RequestFields } from "../request/request-fields.ts";

/**
 * Whether the origin's answer meets a dedup rule's `successWhen` conditions
 * on its headers and JSON body, and so may be stored as the original
 * document. APIs such as Erply answer errors with HTTP 200 and an error code
 * in the body; storing such an answer would turn every later copy of the
 * document into the same error for the whole window.
 *
 * An answer whose body was too large to read whole, or cannot be parsed, is
 * not a success: when in doubt, nothing is stored and the next copy is forwarded.
 *
 * @example
 * meetsSuccessConditions(response, [{ field: parseFieldRef("body:/status/responseStatus"), values: ["ok"] }], url)
 */
export function meetsSuccessConditions(response: OriginResponse, conditions: readonly Condition[], url: string): boolean {
  if (conditions.length === 0) return true;
  if (response.rest) return false;
  try {
    return conditionsHold(conditions, new RequestFields(new URL(url), new Headers(response.headers), response.body));
  } catch (error) {
    if (error instanceof FieldError || error instanceof TooDeepError) return false;
    throw error;
  }
}
