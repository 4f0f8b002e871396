import { hashParts } from "../crypto/digest.ts";
import type { DocumentGuard, IdemConfig, Route } from "../model/config.ts";
import type { FieldRef } from "../request/field-ref.ts";
import type { RequestFields } from "../request/request-fields.ts";

/** HTTP authentication schemes: `Authorization: Bearer` alone names a scheme and carries no credential. */
const AUTH_SCHEMES: ReadonlySet<string> = new Set(["basic", "bearer", "digest", "dpop", "negotiate", "token"]);
/** What clients send when they have no credential: a serialized missing value. */
const PLACEHOLDERS: ReadonlySet<string> = new Set(["", "null", "undefined"]);

/**
 * Whether a value carries no credential: absent, blank, or a placeholder
 * (`null`, `undefined`); in an Authorization header, the same after the
 * scheme (`Bearer`, `Bearer null`, `Basic undefined`).
 *
 * @example
 * carriesNoCredential(parseFieldRef("header:Authorization"), "Bearer null") // true
 * carriesNoCredential(parseFieldRef("header:X-Api-Key"), "k_live_123")      // false
 */
export function carriesNoCredential(ref: FieldRef, value: string | undefined): boolean {
  let credential = (value ?? "").trim();
  if (ref.source === "header" && (ref.name === "authorization" || ref.name === "proxy-authorization")) {
    const [scheme = "", ...rest] = credential.split(/\s+/);
    if (AUTH_SCHEMES.has(scheme.toLowerCase())) credential = rest.join(" ");
  }
  return PLACEHOLDERS.has(credential.toLowerCase());
}

/**
 * Whether a request carries none of the fields that identify the route's
 * caller (`identifiedBy`, by default its scope), each absent, empty or a
 * placeholder, so that Idem cannot tell its caller from any other such
 * caller. A route without such fields has every caller in one scope by design.
 *
 * @throws FieldError when a field cannot be read unambiguously.
 * @example
 * isAnonymous(route, fields) // true for a request with `Authorization: Bearer null` on a default route
 */
export function isAnonymous(route: Route, fields: RequestFields): boolean {
  return route.identifiedBy.length > 0 && route.identifiedBy.every((ref) => carriesNoCredential(ref, fields.get(ref)));
}

/**
 * The caller's scope: a hash of the route's scope fields (by default the
 * Authorization header). Records are keyed by it, so two callers sending the
 * same key never meet. A request carrying none of the fields falls in the
 * one scope shared by all such callers when the route shares them
 * (`anonymous: "share"`; by default they are refused, see isAnonymous).
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
