import type { StatusRange } from "../http/status.ts";
import type {
  ComparedField,
  Condition,
  CredentialHeader,
  DedupRule,
  DocumentGuard,
  ErrorProfile,
  IdemConfig,
  KeyPolicy,
  Origin,
  Route,
} from "../model/config.ts";
import type { FieldRef } from "../request/field-ref.ts";
import { problemDocsPath } from "./resolve.ts";
import type { ConfigInput } from "./schema.ts";

/**
 * The effective config (every default applied) written back in the config's
 * own shape: the field names a config file takes (`ttlSeconds`, not the
 * resolved `ttlMs`), the `defaults` folded into every route. Pasted into a
 * config file it gives the same gateway: loading it resolves to what was
 * printed. `check-config` prints it and the admin health endpoint reports it.
 *
 * Each function below takes every field of a resolved type apart by name,
 * and the rest must be empty: a field added to the resolved config does not
 * compile until it is printed here too.
 */

/** A JSON value. */
export type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

type RouteInput = ConfigInput["routes"][number];
type DedupInput = NonNullable<RouteInput["dedup"]>[number];

/** Fields a resolved object has that its printed shape does not: anything else left over is a field not printed. */
type Nothing = Record<string, never>;

const text = (ref: FieldRef) => ref.text;

const statuses = (ranges: readonly StatusRange[]) => ranges.map(({ from, to }) => (from === to ? from : `${from}-${to}`));

/** Conditions as written: one value as a string, several as a list; undefined when there are none (the default). */
function conditions(list: readonly Condition[]): Record<string, string | string[]> | undefined {
  if (list.length === 0) return undefined;
  return Object.fromEntries(list.map(({ field, values }) => [field.text, values.length === 1 ? (values[0] as string) : values]));
}

function keyShape(key: KeyPolicy): NonNullable<RouteInput["key"]> {
  const { sources, isComposite, sourceText: _text, isStandardHeader: _standard, required, pattern, maxLength, ...rest } = key;
  rest satisfies Nothing;
  // `pattern` and `maxLength` apply only to a key the client sends.
  if (isComposite) return { source: sources.map(text), required };
  return { source: text(sources[0] as FieldRef), required, ...(pattern && { pattern: pattern.source }), maxLength };
}

function comparedShape(compared: ComparedField): DedupInput["compare"][number] {
  const { field, ifPresent, when, ...rest } = compared;
  rest satisfies Nothing;
  if (!ifPresent && when.length === 0) return field.text;
  return { field: field.text, ifPresent, ...(when.length > 0 && { when: conditions(when) }) };
}

function dedupShape(rule: DedupRule): DedupInput {
  const { name, when, clients, exceptClients, prerequisites, compare, items, windowMs, neverStore, successWhen, record: _record, ...rest } = rule;
  rest satisfies Nothing;
  return {
    name,
    ...(when.length > 0 && { when: conditions(when) }),
    ...(clients && { clients }),
    ...(exceptClients && { exceptClients }),
    prerequisites: prerequisites.map(text),
    compare: compare.map(comparedShape),
    ...(items && { items: { fields: items } }),
    windowSeconds: windowMs / 1000,
    neverStoreStatuses: statuses(neverStore),
    ...(successWhen.length > 0 && { successWhen: conditions(successWhen) }),
  };
}

function documentShape(document: DocumentGuard): NonNullable<RouteInput["document"]> {
  const { id, group, isDelete, editTimeoutMs, scope, ...rest } = document;
  rest satisfies Nothing;
  return { id: id.text, group, delete: isDelete, editTimeoutMs, scope: scope.map(text) };
}

function errorsShape(errors: ErrorProfile): NonNullable<RouteInput["errors"]> {
  const { format, template, status, callField, kinds, ...rest } = errors;
  rest satisfies Nothing;
  return {
    format,
    ...(template !== undefined && { template }),
    ...(status !== undefined && { status }),
    callField: callField.text,
    ...(Object.keys(kinds).length > 0 && { kinds }),
  };
}

function routeShape(route: Route, mainOrigin: Origin): RouteInput {
  const {
    name,
    path,
    methods,
    when,
    key,
    mode,
    scope,
    identifiedBy,
    anonymous,
    ttlMs,
    concurrency,
    waitTimeoutMs,
    lockTimeoutMs,
    fingerprintHeaders,
    neverStore,
    successWhen,
    maxStoredResponseBytes,
    onUnknownOutcome,
    forwardKey,
    clientField,
    document,
    dedup,
    batch,
    errors,
    parsing,
    record: _record,
    origin,
    ...rest
  } = route;
  rest satisfies Nothing;
  return {
    name,
    path,
    methods,
    ...(when.length > 0 && { when: conditions(when) }),
    ...(origin !== mainOrigin && { origin: origin.name }),
    key: keyShape(key),
    mode,
    scope: scope.map(text),
    identifiedBy: identifiedBy.map(text),
    anonymous,
    ttlSeconds: ttlMs / 1000,
    concurrency,
    waitTimeoutMs,
    lockTimeoutMs,
    fingerprintHeaders,
    neverStoreStatuses: statuses(neverStore),
    ...(successWhen.length > 0 && { successWhen: conditions(successWhen) }),
    maxStoredResponseBytes,
    onUnknownOutcome,
    ...(forwardKey && { forwardKey }),
    ...(clientField && { clientField: clientField.text }),
    ...(document && { document: documentShape(document) }),
    ...(dedup.length > 0 && { dedup: dedup.map(dedupShape) }),
    ...(batch && { batch: { field: batch.field.text, format: batch.format, maxCalls: batch.maxCalls } }),
    errors: errorsShape(errors),
    parsing,
  };
}

function headersShape(credentials: readonly CredentialHeader[]) {
  if (credentials.length === 0) return undefined;
  return Object.fromEntries(credentials.map(({ header, secret, passThrough }) => [header, { secret, ...(passThrough && { passThrough }) }]));
}

/** An origin as written: a plain base URL as its string, others as tables (credentials by secret name only). */
function originShape(origin: Origin): ConfigInput["origin"] {
  const headers = headersShape(origin.credentials);
  switch (origin.kind) {
    case "url":
      return headers === undefined ? origin.base : { url: origin.base, headers };
    case "service":
      return { service: origin.binding, ...(headers && { headers }) };
    case "template":
      return { url: origin.template, allowHosts: origin.allowHosts, ...(headers && { headers }) };
  }
}

/**
 * The effective config in the config's own shape (see above).
 *
 * @example
 * configShape(loadConfig({ origin, routes: [{ name: "orders", path: "/orders" }] })).routes[0]
 * // { name: "orders", path: "/orders", methods: ["POST", "PATCH"], key: { source: "header:Idempotency-Key", required: false, maxLength: 255 }, ttlSeconds: 86400, … }
 */
export function configShape(config: IdemConfig): ConfigInput {
  const {
    origin,
    origins,
    problemDocsBase,
    pathMatching,
    originTimeoutMs,
    maxRequestBodyBytes,
    keyspace,
    placement,
    admin,
    decisionLog,
    routes,
    ...rest
  } = config;
  rest satisfies Nothing;
  const named = Object.entries(origins);
  return {
    origin: originShape(origin),
    ...(named.length > 0 && { origins: Object.fromEntries(named.map(([name, o]) => [name, originShape(o)])) }),
    // The gateway's own pages are the default, and not a URL the field would take.
    ...(problemDocsBase !== problemDocsPath(admin.pathPrefix) && { problemDocsUrl: problemDocsBase }),
    originTimeoutMs,
    maxRequestBodyBytes,
    pathMatching,
    keyspace,
    placement,
    admin,
    decisionLog,
    routes: routes.map((route) => routeShape(route, origin)),
  };
}

/**
 * The effective config as plain JSON, in the config's own shape
 * (`configShape`): what `/__idem/health` reports and `check-config --json` prints.
 *
 * @example
 * describeConfig(loadConfig(raw)).routes[0].ttlSeconds // 86400
 */
export function describeConfig(config: IdemConfig): { [key: string]: Plain } {
  return JSON.parse(JSON.stringify(configShape(config))) as { [key: string]: Plain };
}
