import type { RecordSnapshot } from "../protocol/snapshots.ts";
import { shownState } from "../record/rules.ts";
import type { IdemRecord } from "./record-schema.ts";

/**
 * A stored record as the admin API shows it (`KeyObject.inspect` and
 * `list`): its state as the API spells it (`expired` once past its expiry,
 * whatever it was), whether this object is running it, sizes, and the
 * header names without their values.
 *
 * @example
 * snapshotOf(record, { running: false, now: Date.now() }) // { id, state: "outcome-unknown", running: false, … }
 */
export function snapshotOf(record: IdemRecord, at: { running: boolean; now: number; body?: Uint8Array }): RecordSnapshot {
  return {
    id: record.id,
    kind: record.kind,
    route: record.route,
    state: shownState(record, at.now),
    running: at.running,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    lockExpiresAt: record.lockExpiresAt,
    fingerprint: record.fingerprint,
    status: record.status,
    headerNames: record.headers.map(([name]) => name),
    bodyBytes: record.bodySize,
    headerBytes: JSON.stringify(record.headers).length,
    bodyRetained: record.bodyRetained,
    ...(at.body ? { body: at.body } : {}),
    failure: record.failure,
  };
}
