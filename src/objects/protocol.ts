import type { Condition, StatusRange } from "../config/resolve.ts";
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

export interface Placement {
  locationHint?: DurableObjectLocationHint;
  jurisdiction?: DurableObjectJurisdiction;
}

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

export type DocumentRefusal = { ok: false; kind: "edit-timeout" | "delete-in-progress"; detail: string; originMs: 0 };

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
  /** Conditions on the origin's answer for it to be stored (a dedup rule's `successWhen`); none for keys. */
  successWhen?: Condition[];
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
  originMs?: number;
  expiresAt?: number;
}

export type GatewayResult = ResponseResult | ErrorResult;
