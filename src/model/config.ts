/**
 * The runtime model: a config with every default applied (src/config/resolve.ts
 * builds it), as the planner, the gateway, the objects and the record rules
 * read it. Plain data, so a record's policy can cross to its object over RPC.
 */
import type { PathMatching } from "../http/matching-path.ts";
import type { Parsing } from "../http/media-type.ts";
import type { StatusRange } from "../http/status.ts";
import type { FieldRef } from "../request/field-ref.ts";
import type {
  Anonymous,
  BatchFormat,
  Concurrency,
  ErrorFormat,
  ErrorKind,
  ForwardedValue,
  Jurisdiction,
  KeyspaceStrategy,
  LocationHint,
  Mode,
  UnknownOutcomePolicy,
} from "./enumerations.ts";

/** A header Idem adds to requests for an origin, its value read from a Worker secret when it is sent. */
export interface CredentialHeader {
  /** Lower-case header name. */
  header: string;
  /** The secret's binding name. */
  secret: string;
  /** Whether requests no route takes get it too (else only the requests a route sends here). */
  passThrough: boolean;
}

interface OriginBase {
  /** `origin` for the top-level one, else its key in `origins`. */
  name: string;
  credentials: CredentialHeader[];
}

/** A back end Idem sends requests to, resolved from the config. */
export type Origin =
  | (OriginBase & { kind: "url"; base: string })
  | (OriginBase & { kind: "service"; binding: string })
  | (OriginBase & {
      kind: "template";
      /** The URL as written, with `{field}` placeholders. */
      template: string;
      /** The fields the placeholders name, in order. */
      fields: FieldRef[];
      /** Lower-case host patterns; `*.` stands for exactly one label. */
      allowHosts: string[];
    });

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
  /** How this rule's records behave, from the fields above and the route's timeouts. */
  record: RecordPolicy;
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
  format: ErrorFormat;
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
  mode: Mode;
  scope: FieldRef[];
  /** The scope fields that carry the caller's credential: a request without any of them is anonymous. */
  identifiedBy: FieldRef[];
  /** An anonymous keyed request: refused, or put in the one scope all such callers share. */
  anonymous: Anonymous;
  ttlMs: number;
  concurrency: Concurrency;
  waitTimeoutMs: number;
  lockTimeoutMs: number;
  /** Lower-case header names. */
  fingerprintHeaders: string[];
  neverStore: StatusRange[];
  /** Conditions the origin's answer must meet to be stored; empty: every answer not in `neverStore`. */
  successWhen: Condition[];
  maxStoredResponseBytes: number;
  /** What a request whose outcome is unknown leaves behind (docs/behaviour.md, rule 9). */
  onUnknownOutcome: UnknownOutcomePolicy;
  /** The header that carries the key (or the record ID) to the origin; lower-case name. */
  forwardKey?: { header: string; value: ForwardedValue };
  clientField?: FieldRef;
  document?: DocumentGuard;
  dedup: DedupRule[];
  /** Set when the route takes bulk requests: the field holding the calls, their format, and how many one may hold. */
  batch?: { field: FieldRef; format: BatchFormat; maxCalls: number };
  errors: ErrorProfile;
  /** How this route's key records behave, from the fields above. */
  record: RecordPolicy;
  /** Where the route's requests go. */
  origin: Origin;
  /** How the route reads media types and fields: as declared, or as PHP does. */
  parsing: Parsing;
}

export interface IdemConfig {
  /** The top-level origin: where requests no route takes go, and routes without `origin`. */
  origin: Origin;
  /** The named origins, by name. */
  origins: Record<string, Origin>;
  /** Base of the problem documentation links: `problemDocsUrl`, or the gateway's own pages. */
  problemDocsBase: string;
  pathMatching: PathMatching;
  originTimeoutMs: number;
  maxRequestBodyBytes: number;
  keyspace: { strategy: KeyspaceStrategy; shards: number };
  placement: { locationHint?: LocationHint; jurisdiction?: Jurisdiction };
  admin: { pathPrefix: string };
  /** Which decisions get a log line (`logDecision`). */
  decisionLog: { passThroughRate: number };
  routes: Route[];
}

/** `key`: an Idempotency-Key (or key field); `dedup`: a content rule found a duplicate candidate. */
export type RecordKind = "key" | "dedup";

/**
 * How a record behaves, resolved once when the config loads: each route has
 * one for its keys, each dedup rule one for its documents.
 */
export interface RecordPolicy {
  /** The route's name, stored with the record for the admin API and logs. */
  route: string;
  kind: RecordKind;
  /** `reject`: a key is single-use (Erply's temporaryUUID); `replay`: retries get the stored answer. */
  mode: Mode;
  concurrency: Concurrency;
  waitTimeoutMs: number;
  lockTimeoutMs: number;
  ttlMs: number;
  neverStore: StatusRange[];
  /** Conditions the origin's answer must meet to be stored. */
  successWhen: Condition[];
  /** `remember`: an unknown outcome is kept, and retries are told so; `release`: the key is released. */
  onUnknownOutcome: UnknownOutcomePolicy;
}

/** Where an object is placed (Durable Object location hint and jurisdiction). */
export type Placement = IdemConfig["placement"];
