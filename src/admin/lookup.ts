import * as v from "valibot";
import { FIELD_REF_PATTERN } from "../config/schema.ts";
import type { IdemConfig, Route } from "../model/config.ts";
import { explainRequest } from "../plan/explain.ts";
import { keyRecordId, scopeHash } from "../plan/identity.ts";
import { parseKey } from "../plan/key.ts";
import type { RouteTable } from "../plan/route-table.ts";
import { parseFieldRef } from "../request/field-ref.ts";
import { errorMessage } from "../util/error-message.ts";

/** Names a record by route, key and the caller's scope values, as an operator knows them. */
const byKey = v.strictObject({
  route: v.string(),
  /** The key as the client sent it; for a key built from several fields, their values in order. */
  key: v.union([v.pipe(v.string(), v.minLength(1)), v.pipe(v.array(v.string()), v.minLength(1))]),
  /** The caller's scope field values by field ref, e.g. `{"header:Authorization": "Bearer sk_…"}`. Missing ones count as empty. */
  scope: v.optional(v.record(v.pipe(v.string(), v.regex(FIELD_REF_PATTERN, "must be a field ref")), v.string()), {}),
});

/** Names a record by the client's own request, resolved exactly as the gateway would. */
const byRequest = v.strictObject({
  request: v.strictObject({
    method: v.optional(v.pipe(v.string(), v.toUpperCase()), "POST"),
    path: v.pipe(v.string(), v.startsWith("/", "must start with /")),
    headers: v.optional(v.record(v.string(), v.string()), {}),
    body: v.optional(v.string(), ""),
  }),
});

const lookupBody = v.union([byKey, byRequest]);

/** The record a lookup names, or why it names none (an admin problem kind and its detail). */
export type LookupTarget = { ok: true; recordId: string } | { ok: false; kind: "admin-invalid-request" | "admin-no-record"; detail: string };

const refKey = (text: string) => {
  const ref = parseFieldRef(text);
  return `${ref.source}:${ref.name}`;
};

async function recordOfKey(config: IdemConfig, input: v.InferOutput<typeof byKey>): Promise<LookupTarget> {
  const route: Route | undefined = config.routes.find((r) => r.name === input.route);
  if (!route) {
    return { ok: false, kind: "admin-invalid-request", detail: `no route "${input.route}"; routes: ${config.routes.map((r) => r.name).join(", ")}` };
  }
  let key: string;
  if (route.key.isComposite) {
    if (!Array.isArray(input.key) || input.key.length !== route.key.sources.length) {
      return {
        ok: false,
        kind: "admin-invalid-request",
        detail: `route "${route.name}" builds its key from ${route.key.sourceText}: send their values as a list, in that order`,
      };
    }
    key = JSON.stringify(input.key);
  } else {
    if (typeof input.key !== "string") return { ok: false, kind: "admin-invalid-request", detail: "key: must be a string on this route" };
    const parsed = parseKey(input.key, route.key);
    if (!parsed.ok) return { ok: false, kind: "admin-invalid-request", detail: `key: ${parsed.detail}` };
    key = parsed.key;
  }
  const given = new Map(Object.entries(input.scope).map(([ref, value]) => [refKey(ref), value]));
  const routeScope = new Set(route.scope.map((ref) => refKey(ref.text)));
  const unknown = [...given.keys()].filter((ref) => !routeScope.has(ref));
  if (unknown.length > 0) {
    return {
      ok: false,
      kind: "admin-invalid-request",
      detail: `scope: route "${route.name}" is scoped by ${route.scope.map((ref) => ref.text).join(", ") || "nothing"}, not by ${unknown.join(", ")}`,
    };
  }
  const scope = await scopeHash(route.scope.map((ref) => given.get(refKey(ref.text))));
  return { ok: true, recordId: await keyRecordId(route, scope, key) };
}

async function recordOfRequest(config: IdemConfig, table: RouteTable, input: v.InferOutput<typeof byRequest>, base: URL): Promise<LookupTarget> {
  const { request } = input;
  let headers: Headers;
  try {
    headers = new Headers(request.headers);
  } catch (error) {
    return { ok: false, kind: "admin-invalid-request", detail: `request.headers: ${errorMessage(error)}` };
  }
  const explanation = await explainRequest(config, table, {
    method: request.method,
    url: new URL(request.path, base),
    headers,
    body: new TextEncoder().encode(request.body),
  });
  const { outcome } = explanation;
  if (outcome.type === "key" || outcome.type === "dedup") return { ok: true, recordId: outcome.recordId };
  const why =
    outcome.type === "pass-through"
      ? "no route takes it"
      : outcome.type === "refused"
        ? `Idem refuses it (${outcome.kind}: ${outcome.detail})`
        : `route "${outcome.route}" takes it, but it carries no key and no dedup rule covers it`;
  return { ok: false, kind: "admin-no-record", detail: `this request has no record: ${why}` };
}

/**
 * Finds the record ID an admin lookup names: either `{route, key, scope}` or
 * `{request: {method, path, headers, body}}` (the client's own request).
 *
 * @example
 * await resolveLookup(config, table, { route: "create-order", key: "k-1", scope: { "header:Authorization": "Bearer alice" } }, url)
 * // { ok: true, recordId: "5c0e…" }
 */
export async function resolveLookup(config: IdemConfig, table: RouteTable, body: unknown, base: URL): Promise<LookupTarget> {
  const parsed = v.safeParse(lookupBody, body);
  if (!parsed.success) {
    return {
      ok: false,
      kind: "admin-invalid-request",
      detail: 'send {"route", "key", "scope"} or {"request": {"method", "path", "headers", "body"}}',
    };
  }
  return "request" in parsed.output ? recordOfRequest(config, table, parsed.output, base) : recordOfKey(config, parsed.output);
}
