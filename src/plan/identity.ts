import { hashParts } from "../crypto/digest.ts";
import type { DocumentGuard, IdemConfig, Route } from "../model/config.ts";
import type { RequestFields } from "../request/request-fields.ts";

/**
 * Whether a request carries none of the route's scope fields (each absent or
 * empty), so that Idem cannot tell its caller from any other such caller.
 * A route without scope fields has every caller in one scope by design.
 *
 * @throws FieldError when a field cannot be read unambiguously.
 * @example
 * isAnonymous(route, fields) // true for a request without an Authorization header on a default route
 */
export function isAnonymous(route: Route, fields: RequestFields): boolean {
  return route.scope.length > 0 && route.scope.every((ref) => (fields.get(ref) ?? "") === "");
}

/**
 * The caller's scope: a hash of the route's scope fields (by default the
 * Authorization header). Records are keyed by it, so two callers sending the
 * same key never meet. A request carrying none of the fields falls in the
 * one scope shared by all such callers, unless the route refuses them
 * (`anonymous: "refuse"`, see isAnonymous).
 *
 * @example
 * await scopeOf(route, fields) // "9f86d0…"
 */
export function scopeOf(route: Route, fields: RequestFields): Promise<string> {
  return scopeHash(route.scope.map((ref) => fields.get(ref)));
}

/**
 * The scope hash of a route's scope field values, in the route's order (a
 * missing value counts as empty). The admin API uses it when an operator
 * names the caller by those values.
 *
 * @example
 * await scopeHash(["Bearer sk_test_123"]) // the scope of that API key on a route scoped by header:Authorization
 */
export function scopeHash(values: readonly (string | undefined)[]): Promise<string> {
  return hashParts(["scope", ...values.map((value) => value ?? "")]);
}

/**
 * Whose document a request names: a hash of the guard's scope fields (the
 * route's scope unless `document.scope` says otherwise). Erply's example
 * scopes documents by account only, so two sessions editing one document
 * still take turns.
 *
 * @example
 * await documentScopeOf(route.document, fields) // "3c2a9e…"
 */
export function documentScopeOf(guard: DocumentGuard, fields: RequestFields): Promise<string> {
  return scopeHash(guard.scope.map((ref) => fields.get(ref)));
}

/** The record ID for an idempotency key: no raw key or credential is ever stored or used as a name. */
export function keyRecordId(route: Route, scope: string, key: string): Promise<string> {
  return hashParts(["key", route.name, scope, key]);
}

/** The record ID for a content-deduplicated document. */
export function dedupRecordId(route: Route, rule: string, scope: string, contentHash: string): Promise<string> {
  return hashParts(["dedup", route.name, rule, scope, contentHash]);
}

/** The name of the DocumentObject that serializes one document's calls. */
export function documentObjectName(group: string, scope: string, documentId: string): Promise<string> {
  return hashParts(["document", group, scope, documentId]);
}

/**
 * The KeyObject that holds a record: the record's own object by default, or
 * one of `shards` objects when `keyspace.strategy` is "sharded".
 *
 * @example
 * keyObjectName(recordId, { strategy: "sharded", shards: 256 }) // "shard-17"
 */
export function keyObjectName(recordId: string, keyspace: IdemConfig["keyspace"]): string {
  if (keyspace.strategy === "per-key") return recordId;
  return `shard-${Number.parseInt(recordId.slice(0, 8), 16) % keyspace.shards}`;
}
