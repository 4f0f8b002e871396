import type { DedupRule, Route } from "../config/resolve.ts";
import { hashParts } from "../crypto/digest.ts";
import { conditionsHold } from "../request/conditions.ts";
import { FieldError } from "../request/field-error.ts";
import type { RequestFields } from "../request/request-fields.ts";
import { canonicalContent, isSupplied } from "./content.ts";

export interface DedupMatch {
  rule: DedupRule;
  /** Hash of the rule's canonical content: equal for requests the rule calls duplicates. */
  contentHash: string;
}

function appliesTo(rule: DedupRule, fields: RequestFields, client: string | undefined): boolean {
  if (rule.clients && !(client !== undefined && rule.clients.includes(client))) return false;
  if (rule.exceptClients && client !== undefined && rule.exceptClients.includes(client)) return false;
  return conditionsHold(rule.when, fields);
}

/**
 * Finds the dedup rule that covers a request without a key, and reduces the
 * request to the hash of what that rule compares.
 *
 * The first rule whose conditions and client list fit the request decides. If
 * any of its prerequisites is missing or blank, there is no duplicate check
 * at all: that is what keeps two real documents from being taken for one.
 * A request whose fields cannot be read unambiguously (a compared name sent
 * twice, a broken JSON body) is not checked either: the rule is a safety net
 * and never refuses a request the origin might accept.
 *
 * @example
 * await matchDedup(route, fields) // { rule: { name: "saveSalesDocument", … }, contentHash: "5e1f…" }
 */
export async function matchDedup(route: Route, fields: RequestFields): Promise<DedupMatch | undefined> {
  if (route.dedup.length === 0) return undefined;
  let content: string;
  let rule: DedupRule | undefined;
  try {
    const client = route.clientField ? fields.get(route.clientField) : undefined;
    rule = route.dedup.find((r) => appliesTo(r, fields, client));
    if (!rule?.prerequisites.every((ref) => isSupplied(fields.get(ref)))) return undefined;
    content = canonicalContent(rule, fields);
  } catch (error) {
    if (error instanceof FieldError) return undefined;
    throw error;
  }
  return { rule, contentHash: await hashParts([content]) };
}
