import type { Placement, RecordPolicy } from "../model/config.ts";
import type { RecordState } from "../model/record-states.ts";
import type { BatchExchange, SentBatchCall } from "../origin/batch-exchange.ts";
import type { OriginRequest, OriginResult } from "../origin/exchange.ts";

/**
 * The messages the Worker sends to its Durable Objects over RPC, and the
 * objects' replies about an origin exchange. They cross a version boundary
 * during a deploy (the Worker and the objects roll out separately), so they
 * hold plain data only.
 */

/**
 * The version of the messages between the Worker and its objects. A Worker
 * version and the objects' version roll out separately, so for seconds to
 * minutes either side can meet the other's previous code. Each side refuses
 * a message of another version without acting on it, and the client gets a
 * retryable `version-skew` problem. Bump it whenever a message's meaning
 * changes. (The messages before it had no version: 1. Version 2 also renamed
 * `KeyObject.handle` to `decide`, so that a Worker of version 2 meeting an
 * object of version 1, which checks nothing, cannot call it at all.)
 */
export const OBJECT_PROTOCOL = 2;

/** Sends an origin exchange through a document's object, which runs one at a time per document. */
export interface DocumentCall {
  objectName: string;
  placement: Placement;
  isDelete: boolean;
  editTimeoutMs: number;
}

/** Everything an origin exchange needs, whoever runs it. */
export interface ExchangeCall {
  /** `OBJECT_PROTOCOL` of the sender (it is a message of its own to a DocumentObject). */
  protocol: number;
  origin: OriginRequest;
  originTimeoutMs: number;
  /** Bytes of response body kept in memory (and so storable); the rest streams through. */
  bufferLimit: number;
  document?: DocumentCall;
}

/** An exchange that must wait its document's turn. */
export type DocumentExchangeCall = ExchangeCall & { document: DocumentCall };

/** A record a KeyObject decides on: its ID, what a retry must match, and its policy. */
export interface ReserveCall {
  /** `OBJECT_PROTOCOL` of the sender. */
  protocol: number;
  id: string;
  /** The request's fingerprint (keys) or content hash (dedup): what a retry must match. */
  fingerprint: string;
  policy: RecordPolicy;
}

/** A request for a KeyObject: the record to use, its policy, and the exchange to run when it is new. */
export interface KeyCall extends ReserveCall {
  exchange: ExchangeCall;
}

/** One page of a KeyObject's records in one stored state (`KeyObject.list`): IDs after `after` ("" from the start), at most `limit`. */
export interface RecordListQuery {
  state: RecordState;
  after: string;
  limit: number;
}

/** A new record written in flight for an exchange another caller runs (a bulk request's): when it expires and when its lock runs out. */
export interface Reservation {
  reserved: true;
  expiresAt: number;
  lockExpiresAt: number;
}

/** One call of a bulk request, as the object running the bulk exchange gets it. */
export interface BatchCallMessage extends SentBatchCall {
  /** The call's record, when it has one: the KeyObject holding it, and the record. */
  record?: { objectName: string; call: ReserveCall };
}

/** Calls of a bulk request for a KeyObject to run as one bulk exchange, reserving their records first. */
export interface BatchRunCall {
  /** `OBJECT_PROTOCOL` of the sender. */
  protocol: number;
  /** The name of the KeyObject that gets this call: its own records are reserved without an RPC. */
  runner: string;
  placement: Placement;
  /** The exchange (named before the code settled on "batch"; renaming a field changes the message, see OBJECT_PROTOCOL). */
  bulk: BatchExchange;
  /** In the client's order. */
  calls: BatchCallMessage[];
}

/** The document's queue refused the call: the origin was never called. */
export type DocumentRefusal = {
  ok: false;
  end: "never-began";
  /** `coordinator-unavailable`: the DocumentObject speaks another protocol version (see OBJECT_PROTOCOL). */
  kind: "edit-timeout" | "delete-in-progress" | "coordinator-unavailable";
  detail: string;
  originMs?: undefined;
  originStatus?: undefined;
};

/** How an exchange run in a document's order ended. */
export type GuardedResult = OriginResult | DocumentRefusal;

// src/objects/record-store.ts and record-schema.ts still import the record kind from here.
export type { RecordKind } from "../model/config.ts";
