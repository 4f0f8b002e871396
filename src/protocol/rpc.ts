import type { OriginFailure, OriginResponse } from "../origin/exchange.ts";
import type { BatchRunCall, DocumentExchangeCall, GuardedResult, KeyCall, RecordListQuery, Reservation, ReserveCall } from "./messages.ts";
import type { BatchRunResult, ErrorResult, GatewayResult } from "./results.ts";
import type { OperatorResponse, PurgeResult, RecordSnapshot, ResolveResult } from "./snapshots.ts";

/**
 * The objects' RPC contracts at `OBJECT_PROTOCOL` (messages.ts): the methods
 * a Worker (or another object) calls, written once. The classes implement
 * them, and callers reach them only through the typed stubs of
 * src/objects/stubs.ts, so renaming a method breaks the typecheck at every
 * caller. A change of a method's meaning bumps `OBJECT_PROTOCOL`.
 */

/** A KeyObject: the records of its shard (src/objects/key-object.ts). */
export interface KeyObjectRpc {
  /** Decides one request for a record, running it at the origin if it is new. */
  decide(call: KeyCall): Promise<GatewayResult>;
  /** Like `decide`, but a new record is only written in flight: the caller runs its exchange in a bulk request. */
  reserve(call: ReserveCall): Promise<GatewayResult | Reservation>;
  /** Ends a reservation with its call's answer. */
  complete(call: ReserveCall, reservation: Reservation, answer: OriginResponse): Promise<GatewayResult>;
  /** Ends a reservation whose exchange brought no answer. */
  fail(call: ReserveCall, reservation: Reservation, failure: OriginFailure): ErrorResult | Promise<ErrorResult>;
  /** Runs calls of a bulk request as one bulk exchange this object owns. */
  runBatch(call: BatchRunCall): Promise<BatchRunResult>;
  /** The record as the admin API shows it; null when this object holds none. */
  inspect(id: string, options: { body: boolean }): RecordSnapshot | null | Promise<RecordSnapshot | null>;
  /** One page of this object's records in one state, without bodies (the admin API's list). */
  list(query: RecordListQuery): RecordSnapshot[] | Promise<RecordSnapshot[]>;
  /** Stores an operator's response for a record whose outcome is unknown. */
  resolve(id: string, response: OperatorResponse): ResolveResult | Promise<ResolveResult>;
  /** Deletes the record, so the next request with its key runs again. */
  purge(id: string, options: { force: boolean }): PurgeResult | Promise<PurgeResult>;
}

/** A DocumentObject: one document's edits, one at a time (src/objects/document-object.ts). */
export interface DocumentObjectRpc {
  /** Runs one origin exchange in the document's order. */
  run(call: DocumentExchangeCall): Promise<GuardedResult>;
}
