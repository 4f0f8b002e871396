/**
 * Form and query fields as PHP reads them into `$_POST` and `$_GET`
 * (main/php_variables.c, `php_register_variable_ex`), for routes whose origin
 * is PHP (`parsing = "php"`): a field Idem reads must be the field the origin
 * acts on. Arrays (`a[]`, `a[x]`) keep their bracketed names.
 */
import { FieldPairs } from "./form-pairs.ts";

/**
 * A field name as PHP registers it: leading spaces dropped, then spaces and
 * dots turned into `_` up to the first `[` (an unclosed `[` becomes `_` too).
 * A name that is empty afterwards registers nothing.
 *
 * @example
 * phpFieldName(" invoice.no") // "invoice_no"
 * phpFieldName("rows[0].id") // "rows[0].id"
 * phpFieldName("a[b") // "a_b"
 */
export function phpFieldName(name: string): string {
  const trimmed = name.replace(/^ +/, "");
  const bracket = trimmed.indexOf("[");
  const head = (bracket < 0 ? trimmed : trimmed.slice(0, bracket)).replace(/[ .]/g, "_");
  if (bracket < 0) return head;
  const rest = trimmed.slice(bracket);
  return rest.includes("]") ? head + rest : `${head}_${rest.slice(1)}`;
}

/**
 * The fields PHP's `$_POST` or `$_GET` would hold: names as `phpFieldName`
 * spells them, nameless ones dropped, and a repeated name holding its last
 * value (PHP overwrites) unless it ends in `[]` (PHP appends). A field is
 * bare (`flag`) or empty (`flag=`) alike to PHP, so nothing marks it bare.
 *
 * @example
 * phpFields(FieldPairs.fromUrlencoded(" a=1&a=2&t[]=x&t[]=y")).list // [["a","2"],["t[]","x"],["t[]","y"]]
 */
export function phpFields(pairs: FieldPairs): FieldPairs {
  const named = pairs.list.map(([name, value]): [string, string] => [phpFieldName(name), value]).filter(([name]) => name !== "");
  const last = new Map<string, number>();
  named.forEach(([name], index) => {
    if (!name.endsWith("[]")) last.set(name, index);
  });
  return new FieldPairs(named.filter(([name], index) => name.endsWith("[]") || last.get(name) === index));
}
