import type { ComparedField, DedupRule, Route } from "../config/resolve.ts";
import { hashParts } from "../crypto/digest.ts";
import { conditionsHold } from "../request/conditions.ts";
import { parseFieldRef } from "../request/field-ref.ts";
import type { RequestFields } from "../request/request-fields.ts";

/** No real document has more lines than this; it bounds the scan for numbered fields. */
const MAX_LINE_ITEMS = 10_000;

export interface DedupMatch {
  rule: DedupRule;
  /** Hash of the compared fields: equal for requests the rule calls duplicates. */
  contentHash: string;
}

function present(value: string | undefined): value is string {
  return value !== undefined && value !== "";
}

function appliesTo(rule: DedupRule, fields: RequestFields, client: string | undefined): boolean {
  if (rule.clients && !(client !== undefined && rule.clients.includes(client))) return false;
  if (rule.exceptClients && client !== undefined && rule.exceptClients.includes(client)) return false;
  return conditionsHold(rule.when, fields);
}

function comparedPart(compared: ComparedField, fields: RequestFields): string {
  const value = fields.get(compared.field);
  const counts = (!compared.ifPresent || present(value)) && conditionsHold(compared.when, fields);
  return counts ? `${compared.field.text}=${value ?? ""}` : `${compared.field.text}:not-compared`;
}

/** The line items as a sorted list, so that their order does not matter but their number does. */
function lineItems(templates: readonly string[], fields: RequestFields): string[] {
  const zeroBased = templates[0]?.includes("{i}") ?? false;
  const lines: string[] = [];
  for (let index = 0; index < MAX_LINE_ITEMS; index++) {
    const n = String(zeroBased ? index : index + 1);
    const values = templates.map((t) => fields.get(parseFieldRef(t.replaceAll("{n}", n).replaceAll("{i}", n))));
    if (values.every((x) => x === undefined)) break;
    lines.push(JSON.stringify(values));
  }
  return lines.sort();
}

/**
 * Finds the dedup rule that covers a request without a key, and reduces the
 * request to the hash of the fields that rule compares.
 *
 * The first rule whose conditions and client list fit the request decides. If
 * any of its prerequisites is missing or empty, there is no duplicate check
 * at all: that is what keeps two real documents from being taken for one.
 *
 * @example
 * await matchDedup(route, fields) // { rule: { name: "saveSalesDocument", … }, contentHash: "5e1f…" }
 */
export async function matchDedup(route: Route, fields: RequestFields): Promise<DedupMatch | undefined> {
  if (route.dedup.length === 0) return undefined;
  const client = route.clientField ? fields.get(route.clientField) : undefined;
  const rule = route.dedup.find((r) => appliesTo(r, fields, client));
  if (!rule) return undefined;
  if (!rule.prerequisites.every((ref) => present(fields.get(ref)))) return undefined;
  const parts = rule.compare.map((c) => comparedPart(c, fields));
  if (rule.items) parts.push("items", ...lineItems(rule.items, fields));
  return { rule, contentHash: await hashParts(parts) };
}
