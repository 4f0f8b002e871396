import type { Condition } from "../model/config.ts";
import type { RequestFields } from "./request-fields.ts";

/**
 * Whether every condition holds: each named field is present with one of its
 * listed values.
 *
 * @throws FieldError when a field cannot be read unambiguously.
 * @example
 * conditionsHold([{ field: parseFieldRef("param:request"), values: ["saveSalesDocument"] }], fields)
 */
export function conditionsHold(conditions: readonly Condition[], fields: RequestFields): boolean {
  return conditions.every((c) => {
    const value = fields.get(c.field);
    return value !== undefined && c.values.includes(value);
  });
}
