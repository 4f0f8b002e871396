import { EXACT_PATHS, type PathMatching } from "../gateway/matching-path.ts";
import { type FieldRef, parseFieldRef } from "../request/field-ref.ts";
import type {
  ErrorKind,
  Jurisdiction,
  LocationHint,
  ParsedConfig,
  ParsedDedupRule,
  ParsedErrorProfile,
  ParsedRoute,
  StatusSelector,
} from "./schema.ts";

/** Defaults for every optional knob. README's config reference lists the same values. */
export const DEFAULTS = {
  originTimeoutMs: 30_000,
  maxRequestBodyBytes: 1024 * 1024,
  methods: ["POST", "PATCH"],
  keySource: "header:Idempotency-Key",
  keyMaxLength: 255,
  scope: ["header:Authorization"],
  anonymous: "share",
  ttlSeconds: 86_400,
  waitTimeoutMs: 5_000,
  /** Added to the origin timeout to get the default lock timeout. */
  lockMarginMs: 5_000,
  neverStoreStatuses: [408, 409, 425, 429] as StatusSelector[],
  dedupWindowSeconds: 86_400,
  dedupNeverStoreStatuses: ["400-599"] as StatusSelector[],
  maxStoredResponseBytes: 10 * 1024 * 1024,
  editTimeoutMs: 5_000,
  shards: 256,
} as const;

export interface StatusRange {
  from: number;
  to: number;
}

/** A condition on a request field: it holds when the field's value is one of `values`. */
export interface Condition {
  field: FieldRef;
  values: string[];
}

export interface ComparedField {
  field: FieldRef;
  ifPresent: boolean;
  when: Condition[];
}

export interface DedupRule {
  name: string;
  when: Condition[];
  clients?: string[];
  exceptClients?: string[];
  prerequisites: FieldRef[];
  compare: ComparedField[];
  /** Line-item field refs, as written: each holds one `{n}` or `{i}` standing for the line number. */
  items?: string[];
  windowMs: number;
  neverStore: StatusRange[];
  /** Conditions on the origin's answer (headers, JSON body) for it to be stored as the original. */
  successWhen: Condition[];
}

export interface DocumentGuard {
  id: FieldRef;
  group: string;
  isDelete: boolean;
  editTimeoutMs: number;
  /** Whose document it is: the document's lock is shared by every caller with the same values. */
  scope: FieldRef[];
}

export interface ErrorProfile {
  format: "problem" | "erply" | "json";
  template?: unknown;
  status?: number;
  callField: FieldRef;
  kinds: Partial<Record<ErrorKind, { status?: number; code?: string | number; message?: string }>>;
}

export interface KeyPolicy {
  /** The field that carries the key, or the fields whose values together make it. */
  sources: FieldRef[];
  /** Written as a list: the key is built from field values, not sent by the client as a token. */
  isComposite: boolean;
  /** The source as written, for messages: `header:Idempotency-Key` or `body:zip + body:houseNumber`. */
  sourceText: string;
  /** The standard header: parsed as an sf-string or a bare token. */
  isStandardHeader: boolean;
  required: boolean;
  pattern?: RegExp;
  maxLength: number;
}

/** A route with every default applied. This is what the gateway runs on. */
export interface Route {
  name: string;
  path: string;
  methods: string[];
  when: Condition[];
  key: KeyPolicy;
  mode: "replay" | "reject";
  scope: FieldRef[];
  /** A keyed request without any scope field: refused, or put in the one scope all such callers share. */
  anonymous: "refuse" | "share";
  ttlMs: number;
  concurrency: "wait" | "conflict";
  waitTimeoutMs: number;
  lockTimeoutMs: number;
  /** Lower-case header names. */
  fingerprintHeaders: string[];
  neverStore: StatusRange[];
  /** Conditions the origin's answer must meet to be stored; empty: every answer not in `neverStore`. */
  successWhen: Condition[];
  maxStoredResponseBytes: number;
  clientField?: FieldRef;
  document?: DocumentGuard;
  dedup: DedupRule[];
  errors: ErrorProfile;
}

export interface IdemConfig {
  origin: string;
  pathMatching: PathMatching;
  originTimeoutMs: number;
  maxRequestBodyBytes: number;
  keyspace: { strategy: "per-key" | "sharded"; shards: number };
  placement: { locationHint?: LocationHint; jurisdiction?: Jurisdiction };
  admin: { pathPrefix: string };
  routes: Route[];
}

/** Turns `[408, "500-599"]` into ranges. */
export function statusRanges(selectors: readonly StatusSelector[]): StatusRange[] {
  return selectors.map((s) => {
    if (typeof s === "number") return { from: s, to: s };
    const [from, to] = s.split("-").map(Number) as [number, number];
    return { from, to };
  });
}

export function inRanges(status: number, ranges: readonly StatusRange[]): boolean {
  return ranges.some((r) => status >= r.from && status <= r.to);
}

function conditionsFrom(record: Record<string, string | string[]> | undefined): Condition[] {
  return Object.entries(record ?? {}).map(([ref, value]) => ({
    field: parseFieldRef(ref),
    values: Array.isArray(value) ? value : [value],
  }));
}

function resolveErrors(profile: ParsedErrorProfile | undefined): ErrorProfile {
  return {
    format: profile?.format ?? "problem",
    template: profile?.template,
    status: profile?.status,
    callField: parseFieldRef(profile?.callField ?? "param:request"),
    kinds: (profile?.kinds ?? {}) as ErrorProfile["kinds"],
  };
}

function resolveDedup(rule: ParsedDedupRule, routeSuccessWhen: ParsedDedupRule["successWhen"]): DedupRule {
  return {
    name: rule.name,
    when: conditionsFrom(rule.when),
    clients: rule.clients,
    exceptClients: rule.exceptClients,
    prerequisites: rule.prerequisites.map(parseFieldRef),
    compare: rule.compare.map((c) =>
      typeof c === "string"
        ? { field: parseFieldRef(c), ifPresent: false, when: [] }
        : { field: parseFieldRef(c.field), ifPresent: c.ifPresent ?? false, when: conditionsFrom(c.when) },
    ),
    items: rule.items?.fields,
    windowMs: (rule.windowSeconds ?? DEFAULTS.dedupWindowSeconds) * 1000,
    neverStore: statusRanges(rule.neverStoreStatuses ?? DEFAULTS.dedupNeverStoreStatuses),
    successWhen: conditionsFrom(rule.successWhen ?? routeSuccessWhen),
  };
}

function resolveRoute(raw: ParsedRoute, defaults: ParsedConfig["defaults"], originTimeoutMs: number): Route {
  const pick = <K extends keyof NonNullable<ParsedConfig["defaults"]>>(k: K) => raw[k] ?? defaults?.[k];
  const keyRaw = { ...defaults?.key, ...raw.key };
  const keySource = keyRaw.source ?? DEFAULTS.keySource;
  const keySources = (Array.isArray(keySource) ? keySource : [keySource]).map(parseFieldRef);
  const ttlSeconds = pick("ttlSeconds") ?? DEFAULTS.ttlSeconds;
  const clientField = pick("clientField");
  const scope = (pick("scope") ?? DEFAULTS.scope).map(parseFieldRef);
  return {
    name: raw.name,
    path: raw.path,
    methods: pick("methods") ?? [...DEFAULTS.methods],
    when: conditionsFrom(raw.when),
    key: {
      sources: keySources,
      isComposite: Array.isArray(keySource),
      sourceText: keySources.map((ref) => ref.text).join(" + "),
      isStandardHeader: typeof keySource === "string" && keySource.toLowerCase() === DEFAULTS.keySource.toLowerCase(),
      required: keyRaw.required ?? false,
      pattern: keyRaw.pattern === undefined ? undefined : new RegExp(keyRaw.pattern),
      maxLength: keyRaw.maxLength ?? DEFAULTS.keyMaxLength,
    },
    mode: pick("mode") ?? "replay",
    scope,
    anonymous: pick("anonymous") ?? DEFAULTS.anonymous,
    ttlMs: ttlSeconds * 1000,
    concurrency: pick("concurrency") ?? "wait",
    waitTimeoutMs: pick("waitTimeoutMs") ?? DEFAULTS.waitTimeoutMs,
    lockTimeoutMs: pick("lockTimeoutMs") ?? originTimeoutMs + DEFAULTS.lockMarginMs,
    fingerprintHeaders: (pick("fingerprintHeaders") ?? []).map((h) => h.toLowerCase()),
    neverStore: statusRanges(pick("neverStoreStatuses") ?? DEFAULTS.neverStoreStatuses),
    successWhen: conditionsFrom(pick("successWhen")),
    maxStoredResponseBytes: pick("maxStoredResponseBytes") ?? DEFAULTS.maxStoredResponseBytes,
    clientField: clientField === undefined ? undefined : parseFieldRef(clientField),
    document: raw.document && {
      id: parseFieldRef(raw.document.id),
      group: raw.document.group ?? raw.name,
      isDelete: raw.document.delete ?? false,
      editTimeoutMs: raw.document.editTimeoutMs ?? DEFAULTS.editTimeoutMs,
      scope: raw.document.scope?.map(parseFieldRef) ?? scope,
    },
    dedup: (raw.dedup ?? []).map((rule) => resolveDedup(rule, pick("successWhen"))),
    errors: resolveErrors(pick("errors")),
  };
}

/** Applies defaults to a config that passed the schema and the cross-field checks. */
export function resolveConfig(parsed: ParsedConfig): IdemConfig {
  const originTimeoutMs = parsed.originTimeoutMs ?? DEFAULTS.originTimeoutMs;
  return {
    origin: parsed.origin.replace(/\/+$/, ""),
    pathMatching: { ...EXACT_PATHS, ...parsed.pathMatching },
    originTimeoutMs,
    maxRequestBodyBytes: parsed.maxRequestBodyBytes ?? DEFAULTS.maxRequestBodyBytes,
    keyspace: {
      strategy: parsed.keyspace?.strategy ?? "sharded",
      shards: parsed.keyspace?.shards ?? DEFAULTS.shards,
    },
    placement: { ...parsed.placement },
    admin: { pathPrefix: parsed.admin?.pathPrefix ?? "/__idem" },
    routes: parsed.routes.map((r) => resolveRoute(r, parsed.defaults, originTimeoutMs)),
  };
}
