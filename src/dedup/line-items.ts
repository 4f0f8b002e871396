import { parseFieldRef } from "../request/field-ref.ts";
import type { RequestFields } from "../request/request-fields.ts";

/** `{n}` and `{i}` both stand for a line number; the config schema allows exactly one per template. */
const PLACEHOLDER = /\{[ni]\}/;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A pattern for the names a template can take, capturing the line number. */
function namePattern(template: string): RegExp {
  const [before, after] = template.split(PLACEHOLDER) as [string, string];
  return new RegExp(`^${escapeRegExp(before)}([0-9]+)${escapeRegExp(after)}$`);
}

/** The line numbers for which the request carries a field of this template. */
function lineNumbersOf(template: string, fields: RequestFields): string[] {
  const ref = parseFieldRef(template);
  const tokens = ref.pointer ?? [ref.name];
  const at = tokens.findIndex((token) => PLACEHOLDER.test(token));
  const pattern = namePattern(tokens[at] as string);
  const names = fields.names(ref.source, ref.pointer ? tokens.slice(0, at) : undefined);
  return names.flatMap((name) => pattern.exec(name)?.[1] ?? []);
}

/**
 * The line items of a document, each as the JSON array of its fields' exact
 * values (null for a missing field), sorted: a multiset, so the order of the
 * lines does not matter but how often each occurs does.
 *
 * Every line number present counts, whatever it starts from and even after a
 * gap (`productID1`, `productID3`): a line the comparison skipped could be
 * the only difference between two documents.
 *
 * @throws FieldError when a line's field is sent twice or the body cannot be parsed.
 * @example
 * // productID1=7&amount1=2&productID2=5&amount2=1
 * lineItems(["param:productID{n}", "param:amount{n}"], fields) // ['["\"5\"","\"1\""]', '["\"7\"","\"2\""]']
 */
export function lineItems(templates: readonly string[], fields: RequestFields): string[] {
  const numbers = new Set(templates.flatMap((template) => lineNumbersOf(template, fields)));
  const lines = [...numbers].map((n) =>
    JSON.stringify(templates.map((template) => fields.exact(parseFieldRef(template.replace(PLACEHOLDER, n))) ?? null)),
  );
  return lines.sort();
}
