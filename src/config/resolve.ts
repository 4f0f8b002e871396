import { EXACT_PATHS } from "../http/matching-path.ts";
import { statusRanges } from "../http/status.ts";
import type { Condition, DedupRule, ErrorProfile, IdemConfig, KeyPolicy, Origin, Route } from "../model/config.ts";
import { type FieldRef, parseFieldRef } from "../request/field-ref.ts";
import { DEFAULTS } from "./defaults.ts";
import { originScopeFields, resolveOrigin } from "./origins.ts";
import type { ParsedConfig, ParsedDedupRule, ParsedErrorProfile, ParsedRoute } from "./schema.ts";

/**
 * Where the gateway serves its problem pages: under the admin prefix, public.
 *
 * @example
 * problemDocsPath("/__idem") // "/__idem/problems/"
 */
export function problemDocsPath(adminPrefix: string): string {
  return `${adminPrefix}/problems/`;
}

function conditionsFrom(record: Record<string, string | string[]> | undefined): Condition[] {
  return Object.entries(record ?? {}).map(([ref, value]) => ({
    field: parseFieldRef(ref),
    values: Array.isArray(value) ? value : [value],
  }));
}

function resolveErrors(profile: ParsedErrorProfile | undefined): ErrorProfile {
  return {
    format: profile?.format ?? DEFAULTS.errorFormat,
    template: profile?.template,
    status: profile?.status,
    callField: parseFieldRef(profile?.callField ?? DEFAULTS.errorCallField),
    kinds: (profile?.kinds ?? {}) as ErrorProfile["kinds"],
  };
}

/**
 * The error profile of answers that belong to no route (an ambiguous path,
 * a pass-through whose origin failed): problem+json.
 */
export const DEFAULT_ERROR_PROFILE: ErrorProfile = resolveErrors(undefined);

/**
 * The config with its `defaults` section folded into every route (a route's
 * own value wins; `key` is merged field by field). Cross-field checks and
 * resolution both read these routes, so neither repeats `route.x ??
 * defaults.x`.
 *
 * @example
 * mergeDefaults({ origin, defaults: { ttlSeconds: 60 }, routes: [{ name: "a", path: "/a" }] }).routes[0].ttlSeconds // 60
 */
export function mergeDefaults(parsed: ParsedConfig): ParsedConfig {
  const { defaults, ...config } = parsed;
  if (!defaults) return config;
  const routes = parsed.routes.map((route) => {
    const merged: ParsedRoute = { ...defaults, ...route };
    if (defaults.key || route.key) merged.key = { ...defaults.key, ...route.key };
    return merged;
  });
  return { ...config, routes };
}

function resolveDedup(rule: ParsedDedupRule, route: ParsedRoute, lockTimeoutMs: number): DedupRule {
  const windowMs = (rule.windowSeconds ?? DEFAULTS.dedupWindowSeconds) * 1000;
  const neverStore = statusRanges(rule.neverStoreStatuses ?? DEFAULTS.dedupNeverStoreStatuses);
  const successWhen = conditionsFrom(rule.successWhen ?? route.successWhen);
  return {
    name: rule.name,
    when: conditionsFrom(rule.when),
    clients: rule.clients,
    exceptClients: rule.exceptClients,
    prerequisites: rule.prerequisites.map(parseFieldRef),
    compare: rule.compare.map((c) =>
      typeof c === "string"
        ? { field: parseFieldRef(c), ifPresent: false, when: [] }
        : { field: parseFieldRef(c.field), ifPresent: c.ifPresent ?? DEFAULTS.compareIfPresent, when: conditionsFrom(c.when) },
    ),
    items: rule.items?.fields,
    windowMs,
    neverStore,
    successWhen,
    // A copy of a document always waits for its original, and is never refused as a reused key.
    record: {
      route: route.name,
      kind: "dedup",
      mode: "replay",
      concurrency: "wait",
      waitTimeoutMs: route.waitTimeoutMs ?? DEFAULTS.waitTimeoutMs,
      lockTimeoutMs,
      ttlMs: windowMs,
      neverStore,
      successWhen,
      onUnknownOutcome: route.onUnknownOutcome ?? DEFAULTS.onUnknownOutcome,
    },
  };
}

function resolveKey(raw: ParsedRoute["key"]): KeyPolicy {
  const source = raw?.source ?? DEFAULTS.keySource;
  const sources = (Array.isArray(source) ? source : [source]).map(parseFieldRef);
  return {
    sources,
    isComposite: Array.isArray(source),
    sourceText: sources.map((ref) => ref.text).join(" + "),
    isStandardHeader: typeof source === "string" && source.toLowerCase() === DEFAULTS.keySource.toLowerCase(),
    required: raw?.required ?? DEFAULTS.keyRequired,
    pattern: raw?.pattern === undefined ? undefined : new RegExp(raw.pattern),
    maxLength: raw?.maxLength ?? DEFAULTS.keyMaxLength,
  };
}

/** Adds the fields that pick a template origin to a scope: two accounts' records never meet. */
function withOriginFields(scope: FieldRef[], origin: Origin): FieldRef[] {
  const extra = originScopeFields(origin).filter((ref) => !scope.some((s) => s.text === ref.text));
  return [...scope, ...extra];
}

interface OriginChoices {
  main: Origin;
  named: Record<string, Origin>;
}

/** Applies the built-in defaults to a route whose config defaults are already merged in. */
function resolveRoute(raw: ParsedRoute, originTimeoutMs: number, origins: OriginChoices): Route {
  const origin = raw.origin === undefined ? origins.main : (origins.named[raw.origin] as Origin);
  const written = (raw.scope ?? DEFAULTS.scope).map(parseFieldRef);
  const scope = withOriginFields(written, origin);
  const lockTimeoutMs = raw.lockTimeoutMs ?? originTimeoutMs + DEFAULTS.lockMarginMs;
  const route: Omit<Route, "record"> = {
    name: raw.name,
    path: raw.path,
    methods: raw.methods ?? [...DEFAULTS.methods],
    when: conditionsFrom(raw.when),
    key: resolveKey(raw.key),
    mode: raw.mode ?? DEFAULTS.mode,
    scope,
    // Fields that pick a template origin name an account, not a caller: never the credential by default.
    identifiedBy: raw.identifiedBy ? raw.identifiedBy.map(parseFieldRef) : written,
    anonymous: raw.anonymous ?? DEFAULTS.anonymous,
    ttlMs: (raw.ttlSeconds ?? DEFAULTS.ttlSeconds) * 1000,
    concurrency: raw.concurrency ?? DEFAULTS.concurrency,
    waitTimeoutMs: raw.waitTimeoutMs ?? DEFAULTS.waitTimeoutMs,
    lockTimeoutMs,
    fingerprintHeaders: (raw.fingerprintHeaders ?? DEFAULTS.fingerprintHeaders).map((h) => h.toLowerCase()),
    neverStore: statusRanges(raw.neverStoreStatuses ?? DEFAULTS.neverStoreStatuses),
    successWhen: conditionsFrom(raw.successWhen),
    maxStoredResponseBytes: raw.maxStoredResponseBytes ?? DEFAULTS.maxStoredResponseBytes,
    onUnknownOutcome: raw.onUnknownOutcome ?? DEFAULTS.onUnknownOutcome,
    forwardKey: raw.forwardKey && { header: raw.forwardKey.header.toLowerCase(), value: raw.forwardKey.value },
    clientField: raw.clientField === undefined ? undefined : parseFieldRef(raw.clientField),
    document: raw.document && {
      id: parseFieldRef(raw.document.id),
      group: raw.document.group ?? raw.name,
      isDelete: raw.document.delete ?? DEFAULTS.documentDelete,
      editTimeoutMs: raw.document.editTimeoutMs ?? DEFAULTS.editTimeoutMs,
      scope: raw.document.scope ? withOriginFields(raw.document.scope.map(parseFieldRef), origin) : scope,
    },
    dedup: (raw.dedup ?? []).map((rule) => resolveDedup(rule, raw, lockTimeoutMs)),
    batch: raw.batch && { field: parseFieldRef(raw.batch.field), format: raw.batch.format, maxCalls: raw.batch.maxCalls ?? DEFAULTS.batchMaxCalls },
    errors: resolveErrors(raw.errors),
    origin,
    parsing: raw.parsing ?? DEFAULTS.parsing,
  };
  const { name, mode, concurrency, waitTimeoutMs, ttlMs, neverStore, successWhen, onUnknownOutcome } = route;
  return {
    ...route,
    record: { route: name, kind: "key", mode, concurrency, waitTimeoutMs, lockTimeoutMs, ttlMs, neverStore, successWhen, onUnknownOutcome },
  };
}

/**
 * Applies the built-in defaults to a config that passed the schema and the
 * cross-field checks, with its `defaults` section merged in (`mergeDefaults`).
 *
 * @example
 * resolveConfig(mergeDefaults(parsed)).routes[0].record.ttlMs // 86_400_000
 */
export function resolveConfig(merged: ParsedConfig): IdemConfig {
  const originTimeoutMs = merged.originTimeoutMs ?? DEFAULTS.originTimeoutMs;
  const origins: OriginChoices = {
    main: resolveOrigin("origin", merged.origin),
    named: Object.fromEntries(Object.entries(merged.origins ?? {}).map(([name, origin]) => [name, resolveOrigin(name, origin)])),
  };
  const adminPrefix = merged.admin?.pathPrefix ?? DEFAULTS.adminPathPrefix;
  return {
    origin: origins.main,
    origins: origins.named,
    problemDocsBase: merged.problemDocsUrl === undefined ? problemDocsPath(adminPrefix) : merged.problemDocsUrl.replace(/\/*$/, "/"),
    pathMatching: { ...EXACT_PATHS, ...merged.pathMatching },
    originTimeoutMs,
    maxRequestBodyBytes: merged.maxRequestBodyBytes ?? DEFAULTS.maxRequestBodyBytes,
    keyspace: {
      strategy: merged.keyspace?.strategy ?? DEFAULTS.keyspaceStrategy,
      shards: merged.keyspace?.shards ?? DEFAULTS.shards,
    },
    placement: { ...merged.placement },
    admin: { pathPrefix: adminPrefix },
    decisionLog: { passThroughRate: merged.decisionLog?.passThroughRate ?? DEFAULTS.decisionLogPassThroughRate },
    routes: merged.routes.map((r) => resolveRoute(r, originTimeoutMs, origins)),
  };
}
