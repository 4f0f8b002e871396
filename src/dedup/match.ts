import { hashParts } from "../crypto/digest.ts";
import type { DedupRule, Route } from "../model/config.ts";
import { conditionsHold } from "../request/conditions.ts";
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
 * twice, a broken JSON body, a body Idem does not read) is not let through
 * unchecked: the FieldError goes up, and the gateway refuses the request
 * (400, or 415 for a body it does not read), since the origin may read it
 * as a document this rule would have caught.
 *
 * @throws FieldError when a field the rules read cannot be read unambiguously.
 * @example
 * await matchDedup(route, fields) // { rule: { name: "saveSalesDocument", … }, contentHash: "5e1f…" }
 */
export async function matchDedup(route: Route, fields: RequestFields): Promise<DedupMatch | undefined> {
  if (route.dedup.length === 0) return undefined;
  const client = route.clientField ? fields.get(route.clientField) : undefined;
  const rule = route.dedup.find((r) => appliesTo(r, fields, client));
  if (!rule?.prerequisites.every((ref) => isSupplied(fields.get(ref)))) return undefined;
  return { rule, contentHash: await hashParts([canonicalContent(rule, fields)]) };
}
