import type { Condition, IdemConfig, StatusRange } from "../config/resolve.ts";
import type { ErrorKind } from "../errors/catalog.ts";
import type { HeaderList } from "../http/headers.ts";
import type { OriginRequest, OriginResult } from "../origin/exchange.ts";
import type { RecordKind } from "./record-store.ts";

/**
 * What the gateway decided for one request. One structured log line names it
 * (see README, "Observability").
 */
export type Outcome =
  | "passed-through"
  | "forwarded"
  | "replayed"
  | "waited-then-replayed"
  | "deduplicated"
  | "conflict"
  | "mismatch"
  | "rejected"
  | "edit-timeout"
  | "delete-in-progress"
  | "origin-error"
  | "not-replayable"
  | "invalid-request"
  | "unavailable";

export type Placement = IdemConfig["placement"];

/** Sends an origin exchange through a document's object, which runs one at a time per document. */
export interface DocumentCall {
  objectName: string;
  placement: Placement;
  isDelete: boolean;
  editTimeoutMs: number;
}

/** Everything an origin exchange needs, whoever runs it. */
export interface ExchangeCall {
  origin: OriginRequest;
  originTimeoutMs: number;
  /** Bytes of response body kept in memory (and so storable); the rest streams through. */
  bufferLimit: number;
  document?: DocumentCall;
}

/** The document's queue refused the call: the origin was never called. */
export type DocumentRefusal = { ok: false; kind: "edit-timeout" | "delete-in-progress"; detail: string; originMs?: undefined };

export type GuardedResult = OriginResult | DocumentRefusal;

/** A request for a KeyObject: the record to use, its policy, and the exchange to run when it is new. */
export interface KeyCall extends ExchangeCall {
  id: string;
  kind: RecordKind;
  route: string;
  mode: "replay" | "reject";
  fingerprint: string;
  ttlMs: number;
  concurrency: "wait" | "conflict";
  waitTimeoutMs: number;
  lockTimeoutMs: number;
  neverStore: StatusRange[];
  /** Conditions the origin's answer must meet to be stored (the route's, or the dedup rule's, `successWhen`). */
  successWhen: Condition[];
}

export interface ResponseResult {
  type: "response";
  outcome: Outcome;
  status: number;
  headers: HeaderList;
  body: Uint8Array | ReadableStream<Uint8Array>;
  originStatus?: number;
  originMs?: number;
  /** When the record behind this answer stops being replayed (ms since epoch). */
  expiresAt?: number;
}

export interface ErrorResult {
  type: "error";
  outcome: Outcome;
  kind: ErrorKind;
  detail: string;
  retryAfterSeconds?: number;
  members?: Record<string, unknown>;
  /** The request field the error is about (Erply's `errorField`). */
  field?: string;
  originMs?: number;
  expiresAt?: number;
}

export type GatewayResult = ResponseResult | ErrorResult;

/** A stored record as the admin API shows it (`KeyObject.inspect`). */
export interface RecordSnapshot {
  id: string;
  kind: RecordKind;
  route: string;
  /** `expired`: past its expiry, not yet deleted; it is never replayed again. */
  state: "in-flight" | "completed" | "expired";
  /** In flight and still being run by this object; false for an in-flight record whose owner is gone. */
  running: boolean;
  createdAt: number;
  expiresAt: number;
  /** In flight: when another request may take the record over if its owner is gone. */
  lockExpiresAt: number | null;
  fingerprint: string;
  /** The stored response: status and header names (values are left out: they may carry tokens). */
  status: number | null;
  headerNames: string[];
  /** Stored bytes: the body (null when it passed the storage cap) and the header list. */
  bodyBytes: number | null;
  headerBytes: number;
  bodyRetained: boolean;
  /** The stored body, only when asked for. */
  body?: Uint8Array;
}

/** What `KeyObject.purge` did: deleted the record, or refused because it is not there or still running. */
export type PurgeResult = { purged: true; state: RecordSnapshot["state"] } | { purged: false; reason: "not-found" | "running" };
