import { matchDedup } from "../dedup/match.ts";
import type { DedupRule, Route } from "../model/config.ts";
import type { RequestFields } from "../request/request-fields.ts";
import { dedupRecordId, documentObjectName, documentScopeOf, isAnonymous, keyRecordId, scopeOf } from "./identity.ts";
import { readKey } from "./key.ts";

/** The document a request edits, and the object that queues its edits. */
export interface DocumentTarget {
  id: string;
  objectName: string;
}

/**
 * What a request that matched a route is to Idem, before anything runs:
 *
 * - `invalid`: its key is malformed, or the route requires one and it has none;
 * - `key`: it carries a key, so its record is `recordId`;
 * - `dedup`: no key and no document ID (a new document), and a dedup rule covers it; its record is `recordId`;
 * - `unrecorded`: nothing to remember (it may still wait for its document's turn).
 *
 * The caller's scope is hashed only for a record (`key`, `dedup`): a request
 * that records nothing needs none, and every unkeyed request would pay for it.
 */
export type RequestIdentity =
  | { type: "invalid"; kind: "invalid-key" | "key-required" | "caller-unidentified"; detail: string; field?: string }
  | { type: "key"; key: string; scope: string; recordId: string; document?: DocumentTarget }
  | { type: "dedup"; rule: DedupRule; contentHash: string; scope: string; recordId: string }
  | { type: "unrecorded"; document?: DocumentTarget };

/**
 * Works out a matched request's key or dedup rule, caller scope, record ID and
 * document. The gateway acts on it; `check-config --explain` and the admin
 * API's lookup print it, so all three always agree.
 *
 * @throws FieldError when a field cannot be read unambiguously.
 * @example
 * const identity = await identifyRequest(route, fields);
 * if (identity.type === "key") identity.recordId // "5c0e…"
 */
export async function identifyRequest(route: Route, fields: RequestFields): Promise<RequestIdentity> {
  const key = readKey(route.key, fields);
  // The one field a client-sent key comes from, for error formats that name it (Erply's errorField).
  const field = route.key.isComposite ? undefined : route.key.sources[0]?.name;
  if (key && !key.ok) return { type: "invalid", kind: "invalid-key", detail: `Invalid ${route.key.sourceText}: ${key.detail}`, field };
  if (!key && route.key.required) {
    return { type: "invalid", kind: "key-required", detail: `this route requires ${route.key.sourceText}`, field };
  }

  // A caller who sends none of the scope fields cannot be told apart from any other such caller.
  const unidentified = route.anonymous === "refuse" && isAnonymous(route, fields);
  if (key && unidentified) {
    const names = route.identifiedBy.map((ref) => ref.text).join(", ");
    return {
      type: "invalid",
      kind: "caller-unidentified",
      detail:
        `this route keeps each caller's records apart by ${names}, and the request carries none of them ` +
        `(empty values and placeholders such as "Bearer null" count as none). Send the caller's credential; ` +
        `an API whose browser callers sign in with a cookie can be scoped by it: scope = ["header:Cookie"]`,
    };
  }
  const documentId = route.document ? fields.get(route.document.id) : undefined;
  const document =
    route.document && documentId !== undefined && documentId !== ""
      ? { id: documentId, objectName: await documentObjectName(route.document.group, await documentScopeOf(route.document, fields), documentId) }
      : undefined;

  if (key) {
    const scope = await scopeOf(route, fields);
    return { type: "key", key: key.key, scope, recordId: await keyRecordId(route, scope, key.key), document };
  }
  // A request that names its document edits it and cannot create a second copy. Dedup rules compare only some
  // fields, so an edit repeating them (a sale saved again with a note) would be discarded as its creation's copy.
  // Without a scope a dedup record would be shared by every unidentified caller: no check, never a refusal.
  const dedup = document || unidentified ? undefined : await matchDedup(route, fields);
  if (dedup) {
    const scope = await scopeOf(route, fields);
    const recordId = await dedupRecordId(route, dedup.rule.name, scope, dedup.contentHash);
    return { type: "dedup", rule: dedup.rule, contentHash: dedup.contentHash, scope, recordId };
  }
  return { type: "unrecorded", document };
}
