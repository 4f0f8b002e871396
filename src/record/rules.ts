import { inRanges } from "../http/status.ts";
import type { RecordPolicy } from "../model/config.ts";
import { type RecordState, SHOWN_STATES } from "../model/record-states.ts";
import type { OriginResponse } from "../origin/exchange.ts";
import type { ExchangeEnd } from "../origin/exchange-outcome.ts";
import { meetsSuccessConditions } from "../origin/response-conditions.ts";
import type { Outcome } from "../protocol/outcomes.ts";
import type { RecordFailure, RecordSnapshot } from "../protocol/snapshots.ts";

/**
 * The life of one idempotency record as decisions without effects (docs/behaviour.md,
 * rules 4–9 and 11): what a request finds when it looks at
 * its record, what becomes of an origin's answer or failure, when records are
 * swept, and what an operator may do. Every function here is pure; the
 * KeyObject reads storage, passes the time and what it runs in, and carries
 * out the verdict. rules.test.ts states the rules as a table.
 */

// src/objects/record-schema.ts imports the stored state from here.
export type { RecordState };

/** What the rules read of a stored record. */
export interface RecordFacts {
  state: RecordState;
  fingerprint: string;
  expiresAt: number;
  /** In flight: when the attempt's lock runs out (it also names the attempt). Null once settled. */
  lockExpiresAt: number | null;
  /** Completed: whether the body was kept (false past the storage cap). */
  bodyRetained: boolean;
  status: number | null;
  /** Unknown: what failed. */
  failure: RecordFailure | null;
}

/** A request for a record: what a retry must match, and how the record behaves. */
export interface Ask {
  fingerprint: string;
  policy: RecordPolicy;
}

/** What the object knows beside the record when it judges. */
export interface Moment {
  now: number;
  /** This object instance runs the record's attempt (or holds its reservation) right now. */
  running: boolean;
  /** When a request that may wait stops waiting: its arrival plus `waitTimeoutMs`. */
  waitUntil: number;
  /** The request has already waited for the running attempt once. */
  waited: boolean;
}

/** An answer Idem gives from the record without calling the origin, other than a replay. */
export type Refusal =
  | { kind: "in-progress"; retryAfterSeconds: number; singleUse?: { differs: boolean } }
  | { kind: "fingerprint-mismatch"; expiresAt: number }
  | { kind: "key-already-used"; differs: boolean; expiresAt: number }
  | { kind: "outcome-unknown"; failure: RecordFailure; expiresAt: number }
  | { kind: "response-not-replayable"; originalStatus: number | null; expiresAt: number };

/** How a replay is reported. */
export type ReplayOutcome = Extract<Outcome, "replayed" | "waited-then-replayed" | "deduplicated">;

/** What a request gets from a record that is neither expired nor lost: wait for its attempt, a replay, or a refusal. */
export type Answer<R extends RecordFacts = RecordFacts> =
  | { do: "wait"; ms: number; orElse: Refusal }
  | { do: "replay"; outcome: ReplayOutcome; record: R }
  | { do: "refuse"; refusal: Refusal };

/**
 * What to do with a request, given its record:
 *
 * - `run`: no record; write one in flight and call the origin;
 * - `expire`: the record is past its TTL; delete it, then run;
 * - `take-over`: its attempt died with its lock run out, and the route releases such keys; delete it, then run;
 * - `declare-lost`: its attempt died with its lock run out; remember the outcome as unknown (`failure`,
 *   written over the attempt's `lock`), then give `after`, the answer for the record so changed;
 * - `wait`: the attempt runs here; wait up to `ms` for it and judge again, or answer `orElse`;
 * - `replay`: answer the stored response;
 * - `refuse`: answer `refusal`.
 */
export type Verdict<R extends RecordFacts = RecordFacts> =
  | { do: "run" }
  | { do: "expire" }
  | { do: "take-over" }
  | { do: "declare-lost"; lock: number; failure: RecordFailure; after: Answer<R> }
  | Answer<R>;

const LOST_DETAIL =
  "the Durable Object running the request stopped before the origin's answer was stored (a crash, a runtime restart or a network partition), and its lock has run out";

/**
 * Whole seconds until `at`, at least 1: a `Retry-After` value.
 *
 * @example
 * secondsUntil(2_500, 1_000) // 2
 */
export function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000));
}

/**
 * Judges a request against its record (docs/behaviour.md, rules 5–8, 11). Reject mode
 * (single-use keys) refuses every reuse whatever its body; otherwise a
 * different fingerprint is a mismatch, a completed record is replayed, an
 * unknown outcome is told again, and an attempt still in flight is waited
 * for (only when it runs in this instance: a dead one cannot wake anyone).
 *
 * @example
 * judge(undefined, { fingerprint, policy }, { now, running: false, waitUntil: now + 5000, waited: false }) // { do: "run" }
 */
export function judge<R extends RecordFacts>(record: R | undefined, ask: Ask, moment: Moment): Verdict<R> {
  if (!record) return { do: "run" };
  const { now, running } = moment;
  // A request still running here keeps its record, however long it waits (a document's queue can outlast the TTL).
  if (record.expiresAt <= now && !running) return { do: "expire" };
  if (record.state === "in_flight" && !running && (record.lockExpiresAt ?? 0) <= now) {
    // The origin may have executed the request, so it is never run again unless the route says so (rule 8).
    if (ask.policy.onUnknownOutcome === "release") return { do: "take-over" };
    const failure: RecordFailure = { kind: "object-lost", detail: LOST_DETAIL, at: now };
    const lost: R = { ...record, state: "unknown", lockExpiresAt: null, failure };
    return { do: "declare-lost", lock: record.lockExpiresAt ?? 0, failure, after: answer(lost, ask, moment) };
  }
  return answer(record, ask, moment);
}

function answer<R extends RecordFacts>(record: R, ask: Ask, moment: Moment): Answer<R> {
  const { policy } = ask;
  const { now, running } = moment;
  const retryAfterSeconds = running ? 1 : secondsUntil(record.lockExpiresAt ?? now, now);
  const differs = record.fingerprint !== ask.fingerprint;
  if (policy.mode === "reject") {
    // Nothing stored is ever served for a single-use key, so the fingerprint only sharpens the message.
    if (record.failure) return refuse({ kind: "outcome-unknown", failure: record.failure, expiresAt: record.expiresAt });
    if (record.state !== "completed") return refuse({ kind: "in-progress", retryAfterSeconds, singleUse: { differs } });
    return refuse({ kind: "key-already-used", differs, expiresAt: record.expiresAt });
  }
  if (differs) return refuse({ kind: "fingerprint-mismatch", expiresAt: record.expiresAt });
  if (record.state === "completed") {
    if (!record.bodyRetained) return refuse({ kind: "response-not-replayable", originalStatus: record.status, expiresAt: record.expiresAt });
    return { do: "replay", outcome: policy.kind === "dedup" ? "deduplicated" : moment.waited ? "waited-then-replayed" : "replayed", record };
  }
  if (record.failure) return refuse({ kind: "outcome-unknown", failure: record.failure, expiresAt: record.expiresAt });
  const inProgress: Refusal = { kind: "in-progress", retryAfterSeconds };
  const ms = moment.waitUntil - now;
  if (policy.concurrency === "conflict" || !running || ms <= 0) return refuse(inProgress);
  return { do: "wait", ms, orElse: inProgress };
}

function refuse(refusal: Refusal): { do: "refuse"; refusal: Refusal } {
  return { do: "refuse", refusal };
}

/**
 * When a new record expires and when its lock runs out. It never expires
 * before its lock does: a record that expired while its request was still
 * at the origin would let a retry run the request a second time, alongside
 * the first. The lock also names the attempt (AttemptLock), so it comes
 * after `latestLock`, the latest lock of attempts at the same record still
 * running here (ones an operator purged with `force`): begun in the same
 * millisecond, such an attempt's late answer or release would land on this
 * one's record.
 *
 * @example
 * termsOf({ ...policy, ttlMs: 1000, lockTimeoutMs: 35_000 }, 0) // { expiresAt: 35_000, lockExpiresAt: 35_000 }
 * termsOf({ ...policy, ttlMs: 1000, lockTimeoutMs: 35_000 }, 0, 35_000) // { expiresAt: 35_001, lockExpiresAt: 35_001 }
 */
export function termsOf(policy: RecordPolicy, now: number, latestLock?: number): { expiresAt: number; lockExpiresAt: number } {
  const lockExpiresAt = Math.max(now + policy.lockTimeoutMs, (latestLock ?? 0) + 1);
  return { expiresAt: Math.max(now + policy.ttlMs, lockExpiresAt), lockExpiresAt };
}

/** An answer's fate: stored (with or without its body), or the key released. */
export type AnswerFate = { do: "store"; keepBody: boolean } | { do: "release"; because: "outlived" | "never-store" | "not-a-success" };

/**
 * What becomes of the origin's answer (docs/behaviour.md, rules 4, 5, 12): stored, or
 * the key released when it is not to be remembered: an answer that outlived
 * its record's TTL (replaying it is already past its time), a status that
 * means nothing happened (`neverStore`), or one that misses `successWhen`.
 * A stored answer keeps its body unless the key is single-use (never served
 * again) or the body passed the buffer limit.
 *
 * @example
 * afterAnswer(policy, { ...response, status: 429 }, expiresAt, now) // { do: "release", because: "never-store" }
 */
export function afterAnswer(policy: RecordPolicy, response: OriginResponse, expiresAt: number, now: number): AnswerFate {
  if (expiresAt <= now) return { do: "release", because: "outlived" };
  if (inRanges(response.status, policy.neverStore)) return { do: "release", because: "never-store" };
  if (!meetsSuccessConditions(policy.successWhen, response)) return { do: "release", because: "not-a-success" };
  return { do: "store", keepBody: policy.mode !== "reject" && !response.rest };
}

/** A failed exchange's fate: the key released, or the outcome remembered as unknown. */
export type FailureFate = { do: "release"; because: "never-began" | "route-releases" } | { do: "remember-unknown" };

/**
 * What becomes of an exchange that ended without an answer (docs/behaviour.md, rule 9):
 * one that never began releases the key; one whose outcome is unknown is
 * remembered as such, unless the route releases it (`onUnknownOutcome`).
 * A failure that does not say how it ended (from an object of the previous
 * version) counts as unknown.
 *
 * @example
 * afterFailure(policy, { end: "never-began" }) // { do: "release", because: "never-began" }
 */
export function afterFailure(policy: RecordPolicy, failure: { end?: Exclude<ExchangeEnd, "answered"> }): FailureFate {
  // `end` is missing from an object of the previous version.
  if ((failure.end ?? "unknown") === "never-began") return { do: "release", because: "never-began" };
  if (policy.onUnknownOutcome === "release") return { do: "release", because: "route-releases" };
  return { do: "remember-unknown" };
}

/**
 * What becomes of an answer storage refused to store: remembered as an
 * unknown outcome when the route remembers those, else (or when that write
 * fails too) the record stays in flight and its lost lock decides, once it
 * runs out. Releasing it now would take one more write of a storage that
 * just refused one.
 *
 * @example
 * afterStoreRefused({ ...policy, onUnknownOutcome: "release" }) // { do: "hold" }
 */
export function afterStoreRefused(policy: RecordPolicy): { do: "remember-unknown" } | { do: "hold" } {
  return policy.onUnknownOutcome === "remember" ? { do: "remember-unknown" } : { do: "hold" };
}

/**
 * A record's state as the admin API shows it: a record past its expiry is
 * `expired`, whatever it held.
 *
 * @example
 * shownState({ state: "unknown", expiresAt: 5 }, 1) // "outcome-unknown"
 */
export function shownState(record: Pick<RecordFacts, "state" | "expiresAt">, now: number): RecordSnapshot["state"] {
  if (record.expiresAt <= now) return "expired";
  return SHOWN_STATES[record.state];
}

/**
 * Whether an operator may store a response for a record: only for one whose
 * outcome is unknown or whose attempt died in flight. A completed record is
 * left alone (purge it first), and so is one still running.
 *
 * @example
 * mayResolve("outcome-unknown", false) // { may: true }
 */
export function mayResolve(
  state: RecordSnapshot["state"],
  running: boolean,
): { may: true } | { may: false; reason: "expired" | "running" | "completed" } {
  if (state === "expired") return { may: false, reason: "expired" };
  if (running) return { may: false, reason: "running" };
  if (state === "completed") return { may: false, reason: "completed" };
  return { may: true };
}

/**
 * Whether an operator may purge a record: not while its request runs here
 * unless forced, since a retry would then run alongside the first attempt.
 *
 * @example
 * mayPurge(true, { force: false }) // false
 */
export function mayPurge(running: boolean, options: { force: boolean }): boolean {
  return !running || options.force;
}

/** The shortest time between two expiry sweeps of one object. */
export const EXPIRY_SWEEP_MS = 60_000;

/**
 * Whether a new record's expiry needs the alarm moved: when none is set or
 * the one set comes later.
 *
 * @example
 * alarmNeeded(null, 1_000) // true
 */
export function alarmNeeded(alarmAt: number | null, expiresAt: number): boolean {
  return alarmAt === null || alarmAt > expiresAt;
}

/**
 * What follows an expiry sweep (docs/behaviour.md, rule 11): the next sweep at the next
 * expiry but no sooner than EXPIRY_SWEEP_MS (a shard holding many records
 * would otherwise wake once per record, each wake a billed request); with no
 * record left and nothing running, the object's storage dropped whole; else
 * no alarm until a new record sets one.
 *
 * @example
 * afterSweep(0, 10, 0) // { do: "sweep-at", at: 60_000 }
 */
export function afterSweep(
  now: number,
  nextExpiry: number | null,
  running: number,
): { do: "sweep-at"; at: number } | { do: "drop-storage" } | { do: "idle" } {
  if (nextExpiry !== null) return { do: "sweep-at", at: Math.max(nextExpiry, now + EXPIRY_SWEEP_MS) };
  return running === 0 ? { do: "drop-storage" } : { do: "idle" };
}
