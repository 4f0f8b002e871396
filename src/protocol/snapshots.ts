import type { HeaderList } from "../http/headers.ts";
import type { RecordKind } from "../model/config.ts";
import type { ShownState } from "../model/record-states.ts";

/** Why a record's outcome is unknown: what failed, and when Idem found out. */
export interface RecordFailure {
  /**
   * An origin failure kind (`origin-timeout`, …), `object-lost` (the object running the request died and its
   * lock ran out) or `answer-not-stored` (the origin answered, storing the answer failed).
   */
  kind: string;
  detail: string;
  /** The status that came back instead of an answer (a 52x, or one outside 200–599), or the unstored answer's. */
  originStatus?: number;
  /** ms since epoch. */
  at: number;
}

/** A stored record as the admin API shows it (`KeyObject.inspect`). */
export interface RecordSnapshot {
  id: string;
  kind: RecordKind;
  route: string;
  /**
   * `outcome-unknown`: the origin may have executed the request but its answer never came back; retries are
   * told so. `expired`: past its expiry, not yet deleted; it is never replayed again.
   */
  state: ShownState | "expired";
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
  /** For `outcome-unknown` records: what failed, and when. */
  failure: RecordFailure | null;
}

/** A response an operator stores for a record whose outcome was unknown (`KeyObject.resolve`). */
export interface OperatorResponse {
  status: number;
  headers: HeaderList;
  body: Uint8Array;
}

/** What `KeyObject.resolve` did: stored the response, or refused (no record, expired, still running, or already completed). */
export type ResolveResult =
  | { resolved: true; previous: RecordSnapshot["state"] }
  | { resolved: false; reason: "not-found" | "expired" | "running" | "completed" };

/** What `KeyObject.purge` did: deleted the record, or refused because it is not there or still running. */
export type PurgeResult = { purged: true; state: RecordSnapshot["state"] } | { purged: false; reason: "not-found" | "running" };
