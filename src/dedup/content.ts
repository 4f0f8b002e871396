import type { ComparedField, DedupRule } from "../model/config.ts";
import { conditionsHold } from "../request/conditions.ts";
import type { RequestFields } from "../request/request-fields.ts";
import { lineItems } from "./line-items.ts";

/**
 * Whether a field carries a value: present and not blank. A blank value is as good as none.
 *
 * @example
 * isSupplied(" ") // false
 */
export function isSupplied(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== "";
}

/** One compared field: its exact value (null when absent), or "not-compared" when its own conditions do not hold. */
function comparedEntry(compared: ComparedField, fields: RequestFields): [string, string | null] {
  const counts = conditionsHold(compared.when, fields) && (!compared.ifPresent || isSupplied(fields.get(compared.field)));
  return [compared.field.text, counts ? (fields.exact(compared.field) ?? null) : "not-compared"];
}

/**
 * The canonical form of what a rule compares, as one JSON text. Two requests
 * are duplicates exactly when their canonical forms are equal, so it keeps
 * every distinction a document can carry:
 *
 * - values as JSON text: the string `"1"` and the number `1` differ, JSON
 *   numbers keep their digits (`10.50` is not `10.5`), and an absent field
 *   (`null`) differs from an empty one (`""`);
 * - a field outside its conditions is marked "not-compared", which no value
 *   can equal (values are quoted or numbers);
 * - line items are a sorted multiset (see `lineItems`).
 *
 * Being one JSON document, it cannot be confused by separators inside values.
 *
 * @throws FieldError when a compared field is sent twice or the body cannot be parsed.
 * @example
 * canonicalContent(rule, fields)
 * // '{"compared":[["param:invoiceNo","\"17\""],["param:date","\"2026-11-23\""]],"items":["[\"\\\"5\\\"\",\"\\\"1\\\"\"]"]}'
 */
export function canonicalContent(rule: DedupRule, fields: RequestFields): string {
  return JSON.stringify({
    compared: rule.compare.map((compared) => comparedEntry(compared, fields)),
    items: rule.items ? lineItems(rule.items, fields) : null,
  });
}
