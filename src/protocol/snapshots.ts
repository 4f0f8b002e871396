import type { RecordKind } from "./messages.ts";

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
