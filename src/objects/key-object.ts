import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { inRanges } from "../http/status.ts";
import { fullBody, type OriginFailure, type OriginResponse } from "../origin/exchange.ts";
import { meetsSuccessConditions } from "../origin/response-conditions.ts";
import {
  type BatchRunCall,
  type BatchRunResult,
  type GuardedResult,
  type KeyCall,
  OBJECT_PROTOCOL,
  type Reservation,
  type ReserveCall,
} from "../protocol/messages.ts";
import type { Outcome } from "../protocol/outcomes.ts";
import {
  answered,
  coordinatorUnavailable,
  type ErrorResult,
  errorResult,
  exchangeFailed,
  type GatewayResult,
  unknownOutcome,
  versionSkew,
} from "../protocol/results.ts";
import type { OperatorResponse, PurgeResult, RecordFailure, RecordSnapshot, ResolveResult } from "../protocol/snapshots.ts";
import { errorMessage } from "../util/error-message.ts";
import { recordHolders, runBatch } from "./batch-runner.ts";
import { droppedAt, type IdemRecord } from "./record-schema.ts";
import { type AttemptLock, RecordStore } from "./record-store.ts";
import { runExchange } from "./run-exchange.ts";

/** The shortest time between two expiry sweeps of one object (see `alarm`). */
export const EXPIRY_SWEEP_MS = 60_000;

function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000));
}

/** Resolves with true when `promise` settles within `ms`, false otherwise; never leaves a timer behind. */
async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  const timeout = Promise.withResolvers<boolean>();
  const timer = setTimeout(() => timeout.resolve(false), ms);
  try {
    return await Promise.race([promise.then(() => true), timeout.promise]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The Durable Object that owns idempotency records: one per shard in the
 * default (sharded) keyspace, or one per key. It runs one decision at a time
 * per record:
 *
 * - new key: store an in-flight record, then call the origin, then store the
 *   answer (or release the key when nothing should be remembered); when the
 *   origin may have acted but its answer was lost, remember the outcome as
 *   unknown (unless the route releases such keys);
 * - same key, same fingerprint, completed: replay; outcome unknown:
 *   `outcome-unknown`, and the origin is not called again;
 * - same key, different fingerprint: `fingerprint-mismatch`;
 * - same key while in flight: wait for the first (up to `waitTimeoutMs`) and
 *   replay, or answer `in-progress` at once in `conflict` mode;
 * - `reject` mode (single-use keys): `key-already-used` once completed,
 *   `in-progress` while in flight, whatever the body.
 *
 * The origin exchange belongs to the object, not to the client's Worker
 * invocation, so a client that disconnects does not stop it. An in-flight
 * record whose owner died (its lock ran out) is an unknown outcome too.
 */
export class KeyObject extends DurableObject<Env> {
  #store: RecordStore;
  /** Executions running in this instance, by record ID; each settles when its record is final. */
  readonly #running = new Map<string, Promise<void>>();
  /** Records reserved for a bulk exchange that a runner (this object or another) carries out: how to end their running here. */
  readonly #reserved = new Map<string, { lockExpiresAt: number; end: () => void }>();
  /** Cached alarm time; undefined until read from storage. */
  #alarmAt: number | null | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#store = new RecordStore(ctx.storage);
  }

  /**
   * Decides one request for a record, running it at the origin if it is new.
   * A message of another protocol version is refused untouched.
   *
   * @example
   * const result = await stubFor(env.KEYS, objectName, placement).decide(call);
   */
  async decide(call: KeyCall): Promise<GatewayResult> {
    if (call.protocol !== OBJECT_PROTOCOL) return versionSkew("KeyObject", { sent: call.protocol, speaks: OBJECT_PROTOCOL });
    return this.#decideThen(call, (now) => this.#execute(call, now));
  }

  /**
   * Decides one call of a bulk request for a record, as `decide` does, but a
   * new record is only written in flight (and counts as running here until
   * `complete` or `fail`, never past its lock): the caller runs the exchange,
   * inside one bulk request. Otherwise the answer `decide` would give.
   *
   * @example
   * const reserved = await stubFor(env.KEYS, objectName, placement).reserve(call); // { reserved: true, expiresAt, lockExpiresAt }
   */
  async reserve(call: ReserveCall): Promise<GatewayResult | Reservation> {
    if (call.protocol !== OBJECT_PROTOCOL) return versionSkew("KeyObject", { sent: call.protocol, speaks: OBJECT_PROTOCOL });
    return this.#decideThen(call, (now) => this.#reserve(call, now));
  }

  /**
   * Ends a reservation with the call's answer, as a single call's would end:
   * stored or released by the policy (`neverStore`, `successWhen`).
   *
   * @example
   * const result = await stub.complete(call, reservation, callAnswer(entry, "savePayment", bulk));
   */
  async complete(call: ReserveCall, reservation: Reservation, answer: OriginResponse): Promise<GatewayResult> {
    try {
      return await this.#remember(call, answer, reservation.expiresAt, reservation.lockExpiresAt);
    } finally {
      this.#endReservation(call.id, reservation);
    }
  }

  /**
   * Ends a reservation whose exchange brought no answer, as a single call's
   * would end: released when it never began, else an unknown outcome (unless
   * the route releases such keys).
   *
   * @example
   * const result = await stub.fail(call, reservation, failure);
   */
  fail(call: ReserveCall, reservation: Reservation, failure: OriginFailure): ErrorResult {
    try {
      return this.#failed(call, failure, reservation.expiresAt, reservation);
    } finally {
      this.#endReservation(call.id, reservation);
    }
  }

  /**
   * Runs calls of a bulk request as one bulk exchange that this object owns:
   * their records reserved first (here, or in the objects holding them),
   * completed from the answer's entries after (see batch-runner.ts).
   *
   * @example
   * const { results } = await stubFor(env.KEYS, call.runner, placement).runBatch(call);
   */
  runBatch(call: BatchRunCall): Promise<BatchRunResult> {
    if (call.protocol !== OBJECT_PROTOCOL) {
      const refused = versionSkew("KeyObject", { sent: call.protocol, speaks: OBJECT_PROTOCOL });
      return Promise.resolve({ results: call.calls.map(() => refused) });
    }
    return runBatch(this.env, call, recordHolders(this.env, call.placement, { name: call.runner, object: this }));
  }

  /** `decide`'s decision for an existing record; `whenNew` runs when there is none. */
  async #decideThen<T>(call: ReserveCall, whenNew: (now: number) => Promise<T>): Promise<GatewayResult | T> {
    const { policy } = call;
    const deadline = Date.now() + policy.waitTimeoutMs;
    let waited = false;
    for (;;) {
      const now = Date.now();
      const record = this.#live(call, now);
      if (!record) return whenNew(now);
      const running = this.#running.get(call.id);
      const retryAfterSeconds = running ? 1 : secondsUntil(record.lockExpiresAt ?? now, now);
      if (policy.mode === "reject") return this.#refuseReuse(record, call, retryAfterSeconds);
      if (record.fingerprint !== call.fingerprint) {
        return errorResult(
          "mismatch",
          "fingerprint-mismatch",
          "this key was first used for a different request (method, path, query or body differ)",
          {
            expiresAt: record.expiresAt,
          },
        );
      }
      if (record.state === "completed") {
        return this.#replay(record, policy.kind === "dedup" ? "deduplicated" : waited ? "waited-then-replayed" : "replayed");
      }
      if (record.failure) return unknownOutcome(record.failure, record.expiresAt, true);
      const inProgress = () =>
        errorResult("conflict", "in-progress", "the first request with this key is still in progress; retry later", { retryAfterSeconds });
      if (policy.concurrency === "conflict" || !running) return inProgress();
      const remaining = deadline - now;
      if (remaining <= 0 || !(await settlesWithin(running, remaining))) return inProgress();
      waited = true;
    }
  }

  /**
   * The record with this ID, as the admin API shows it; null when this object
   * holds none. The body comes along only when asked for.
   *
   * @example
   * const snapshot = await stubFor(env.KEYS, objectName, placement).inspect(recordId, { body: false });
   */
  inspect(id: string, options: { body: boolean }): RecordSnapshot | null {
    const record = this.#store.get(id);
    if (!record) return null;
    const now = Date.now();
    const states = { in_flight: "in-flight", completed: "completed", unknown: "outcome-unknown" } as const;
    return {
      id: record.id,
      kind: record.kind,
      route: record.route,
      state: record.expiresAt <= now ? "expired" : states[record.state],
      running: this.#running.has(id),
      createdAt: record.createdAt,
      expiresAt: record.expiresAt,
      lockExpiresAt: record.lockExpiresAt,
      fingerprint: record.fingerprint,
      status: record.status,
      headerNames: record.headers.map(([name]) => name),
      bodyBytes: record.bodySize,
      headerBytes: JSON.stringify(record.headers).length,
      bodyRetained: record.bodyRetained,
      ...(options.body && record.bodyRetained ? { body: this.#store.bodyOf(record) } : {}),
      failure: record.failure,
    };
  }

  /**
   * Stores a response an operator gives for a record whose outcome is
   * unknown (or whose owner died in flight), after finding out at the origin
   * what happened: retries with its key then get it as a replay. A completed
   * record is left alone (purge it first), and so is one still running here.
   *
   * @example
   * await stubFor(env.KEYS, objectName, placement).resolve(recordId, { status: 201, headers, body }) // { resolved: true, previous: "outcome-unknown" }
   */
  resolve(id: string, response: OperatorResponse): ResolveResult {
    const snapshot = this.inspect(id, { body: false });
    if (!snapshot) return { resolved: false, reason: "not-found" };
    if (snapshot.state === "expired") return { resolved: false, reason: "expired" };
    if (snapshot.running) return { resolved: false, reason: "running" };
    if (snapshot.state === "completed") return { resolved: false, reason: "completed" };
    const stored = this.#store.complete(id, response, "operator");
    return stored ? { resolved: true, previous: snapshot.state } : { resolved: false, reason: "not-found" };
  }

  /**
   * Deletes the record so that the next request with its key runs at the
   * origin again. A record whose request this object is still running is kept
   * unless `force` is set: purging it would let a retry run while the first
   * attempt is still at the origin.
   *
   * @example
   * await stubFor(env.KEYS, objectName, placement).purge(recordId, { force: false }) // { purged: true, state: "completed" }
   */
  purge(id: string, options: { force: boolean }): PurgeResult {
    const snapshot = this.inspect(id, { body: false });
    if (!snapshot) return { purged: false, reason: "not-found" };
    if (snapshot.running && !options.force) return { purged: false, reason: "running" };
    this.#store.delete(id);
    return { purged: true, state: snapshot.state };
  }

  /**
   * `reject` mode: a key is single-use (Erply's temporaryUUID), so any later
   * request with it is refused, whatever its body. Nothing stored is ever
   * served, so the fingerprint only sharpens the message.
   */
  #refuseReuse(record: IdemRecord, call: ReserveCall, retryAfterSeconds: number): ErrorResult {
    const differs = record.fingerprint === call.fingerprint ? "" : " (and this request differs from the first)";
    if (record.failure) return unknownOutcome(record.failure, record.expiresAt, true);
    if (record.state !== "completed") {
      return errorResult("conflict", "in-progress", `the first request with this key is still in progress${differs}; this one was not forwarded`, {
        retryAfterSeconds,
      });
    }
    return errorResult("rejected", "key-already-used", `this key has already been used${differs}; send a new key for a new request`, {
      expiresAt: record.expiresAt,
    });
  }

  /**
   * The record, unless it has expired (deleted now). When its owner died and
   * its lock ran out, the origin may have executed the request: the record
   * becomes an unknown outcome, or is released if the route says so.
   */
  #live(call: ReserveCall, now: number): IdemRecord | undefined {
    const record = this.#store.get(call.id);
    if (!record) return undefined;
    const running = this.#running.has(call.id);
    // A request still running here keeps its record, however long it waits (a document's queue can outlast the TTL).
    const expired = record.expiresAt <= now && !running;
    const lockLost = record.state === "in_flight" && !running && (record.lockExpiresAt ?? 0) <= now;
    if (expired || (lockLost && call.policy.onUnknownOutcome === "release")) {
      this.#store.delete(call.id);
      return undefined;
    }
    if (!lockLost) return record;
    const failure: RecordFailure = {
      kind: "object-lost",
      detail:
        "the Durable Object running the request stopped before the origin's answer was stored (a crash, a runtime restart or a network partition), and its lock has run out",
      at: now,
    };
    this.#store.markUnknown(call.id, { lockExpiresAt: record.lockExpiresAt ?? 0 }, failure);
    return { ...record, state: "unknown", lockExpiresAt: null, failure };
  }

  #replay(record: IdemRecord, outcome: Outcome): GatewayResult {
    if (!record.bodyRetained) {
      return errorResult(
        "not-replayable",
        "response-not-replayable",
        `the request with this key was executed (the origin answered ${record.status}), but its response was larger than the storage cap and cannot be replayed; do not retry, look the result up at the origin`,
        { members: { originalStatus: record.status }, expiresAt: record.expiresAt },
      );
    }
    // Only completed records are replayed, and every completed record has its status.
    return answered(outcome, { status: record.status ?? 500, headers: record.headers }, this.#store.bodyOf(record), record.expiresAt);
  }

  async #execute(call: KeyCall, now: number): Promise<GatewayResult> {
    const begun = await this.#begin(call, now);
    if (begun.type === "error") return begun;
    try {
      return await this.#exchangeAndStore(call, begun.expiresAt, begun.lockExpiresAt);
    } finally {
      begun.finish();
    }
  }

  /**
   * A reservation counts as running here until it is completed or failed,
   * so that retries wait for it, but never past its lock: should its runner
   * die, the record is then taken over as an unknown outcome (`#live`).
   */
  async #reserve(call: ReserveCall, now: number): Promise<GatewayResult | Reservation> {
    const begun = await this.#begin(call, now);
    if (begun.type === "error") return begun;
    const reservation: Reservation = { reserved: true, expiresAt: begun.expiresAt, lockExpiresAt: begun.lockExpiresAt };
    const timer = setTimeout(() => this.#endReservation(call.id, reservation), begun.lockExpiresAt - now);
    this.#reserved.set(call.id, {
      lockExpiresAt: begun.lockExpiresAt,
      end: () => {
        clearTimeout(timer);
        begun.finish();
      },
    });
    return reservation;
  }

  /** Ends this reservation's running here; a later one of the same record (after its lock ran out) is left alone. */
  #endReservation(id: string, reservation: Reservation): void {
    const held = this.#reserved.get(id);
    if (held?.lockExpiresAt !== reservation.lockExpiresAt) return;
    this.#reserved.delete(id);
    held.end();
  }

  /**
   * Writes the in-flight record of a new request, marks it running here and
   * schedules its expiry; `finish` ends its running. An error result when
   * storage refuses: then nothing is kept.
   */
  async #begin(
    call: ReserveCall,
    now: number,
  ): Promise<ErrorResult | { type: "begun"; expiresAt: number; lockExpiresAt: number; finish: () => void }> {
    const { policy } = call;
    // Never expire before the lock does: a record that expired while its request was still at the
    // origin would let a retry run the request a second time, alongside the first.
    const expiresAt = now + Math.max(policy.ttlMs, policy.lockTimeoutMs);
    const lockExpiresAt = now + policy.lockTimeoutMs;
    const unwritten = (error: unknown) =>
      coordinatorUnavailable(`the record could not be written (${errorMessage(error)}); the origin was not called`);
    try {
      this.#store.insertInFlight({
        id: call.id,
        kind: policy.kind,
        route: policy.route,
        fingerprint: call.fingerprint,
        createdAt: now,
        expiresAt,
        lockExpiresAt,
      });
    } catch (error) {
      return unwritten(error);
    }
    // Registered in the same turn as the in-flight row: a caller that finds the row while this one awaits
    // (e.g. other waiters woken by a failed first attempt) must find it running too, and wait for it.
    const finished = Promise.withResolvers<void>();
    this.#running.set(call.id, finished.promise);
    const finish = () => {
      // A record released and begun again meanwhile runs under its own promise.
      if (this.#running.get(call.id) === finished.promise) this.#running.delete(call.id);
      finished.resolve();
    };
    try {
      await this.#scheduleExpiry(droppedAt(expiresAt));
    } catch (error) {
      // A record without its expiry alarm would never be cleaned up; take it back.
      this.#release(call.id, { lockExpiresAt });
      finish();
      return unwritten(error);
    }
    return { type: "begun", expiresAt, lockExpiresAt, finish };
  }

  /**
   * Frees a key so a retry runs the request again, unless a retry has already
   * begun it again (this attempt's lock ran out). Best effort: if storage
   * refuses even this, the in-flight record is taken over once its lock runs out.
   */
  #release(id: string, by: AttemptLock): void {
    try {
      this.#store.releaseInFlight(id, by);
    } catch {
      // Left to the lock timeout, as above.
    }
  }

  /**
   * The answer for an exchange that ended without one: a request that never
   * began releases the key; one whose outcome is unknown is remembered as
   * such, unless the route releases it (`onUnknownOutcome`).
   */
  #failed(call: ReserveCall, result: Extract<GuardedResult, { ok: false }>, expiresAt: number, by: AttemptLock): ErrorResult {
    // An object of the previous version (a document's queue mid-rollout) does not say how it ended: assume the worst.
    const end = result.end ?? "unknown";
    if (end === "never-began") {
      this.#release(call.id, by);
      return exchangeFailed(
        result,
        result.kind.startsWith("origin-") ? "; the request did not reach the origin, so a retry with this key runs it" : "",
      );
    }
    if (call.policy.onUnknownOutcome === "release") {
      this.#release(call.id, by);
      return exchangeFailed(
        result,
        '. The origin may have acted on the request; this route releases its key all the same (onUnknownOutcome = "release"), so a retry with this key runs it again',
      );
    }
    const failure: RecordFailure = { kind: result.kind, detail: result.detail, originStatus: result.originStatus, at: Date.now() };
    // Not written (storage refuses): the record stays in flight, and becomes an unknown outcome when its lock runs out.
    this.#rememberUnknown(call.id, by, failure);
    return { ...unknownOutcome(failure, expiresAt, false), originMs: result.originMs };
  }

  /** Marks the attempt's in-flight record as an unknown outcome; false when storage refused (or the record is not the attempt's any more). */
  #rememberUnknown(id: string, by: AttemptLock, failure: RecordFailure): boolean {
    try {
      return this.#store.markUnknown(id, by, failure);
    } catch {
      return false;
    }
  }

  async #exchangeAndStore(call: KeyCall, expiresAt: number, lockExpiresAt: number): Promise<GatewayResult> {
    const result = await runExchange(this.env, call.exchange);
    return result.ok ? this.#remember(call, result, expiresAt, lockExpiresAt) : this.#failed(call, result, expiresAt, { lockExpiresAt });
  }

  /** Stores the origin's answer for an in-flight record, or releases the key when the policy says it is not to be remembered. */
  async #remember(call: ReserveCall, result: OriginResponse, expiresAt: number, lockExpiresAt: number): Promise<GatewayResult> {
    const { policy } = call;
    // An answer that outlived its record's TTL is not remembered: replaying it is already past its time.
    const outlived = expiresAt <= Date.now();
    if (outlived || inRanges(result.status, policy.neverStore) || !meetsSuccessConditions(policy.successWhen, result)) {
      this.#release(call.id, { lockExpiresAt });
      return answered("forwarded", result, fullBody(result));
    }
    // A single-use key's answer is never served again, so its body is not kept.
    const retained = policy.mode === "reject" || result.rest ? null : result.body;
    let stored: boolean;
    try {
      stored = this.#store.complete(call.id, { status: result.status, headers: result.storableHeaders, body: retained }, { lockExpiresAt });
    } catch (error) {
      // The origin ran the request, but nothing of its answer is stored (the completion is one transaction).
      await result.rest?.cancel();
      const failure: RecordFailure = {
        kind: "answer-not-stored",
        detail: `the origin answered ${result.status}, but its answer could not be stored (${errorMessage(error)})`,
        originStatus: result.status,
        at: Date.now(),
      };
      if (policy.onUnknownOutcome === "remember" && this.#rememberUnknown(call.id, { lockExpiresAt }, failure)) {
        return { ...unknownOutcome(failure, expiresAt, false), originMs: result.originMs };
      }
      // The in-flight record stays: retries are refused until its lock runs out; then it is an unknown outcome (or released).
      const then = policy.onUnknownOutcome === "release" ? "run the request again" : "are told its outcome is unknown";
      return coordinatorUnavailable(`${failure.detail}; retries with this key are refused until the lock runs out, then ${then}`, {
        members: { originalStatus: result.status },
        retryAfterSeconds: secondsUntil(lockExpiresAt, Date.now()),
        originMs: result.originMs,
      });
    }
    // A record purged while its request ran is gone: nothing remembers this answer, so no expiry is advertised.
    return answered("forwarded", result, fullBody(result), stored ? expiresAt : undefined);
  }

  async #scheduleExpiry(at: number): Promise<void> {
    if (this.#alarmAt === undefined) this.#alarmAt = await this.ctx.storage.getAlarm();
    if (this.#alarmAt === null || this.#alarmAt > at) {
      await this.ctx.storage.setAlarm(at);
      this.#alarmAt = at;
    }
  }

  /**
   * Deletes expired records; at-least-once delivery and late firing are both
   * harmless. The next sweep comes no sooner than EXPIRY_SWEEP_MS from now:
   * an object holding many records (a shard) would otherwise wake once per
   * record, each wake a billed request, where one sweep a minute clears them
   * all. An expired record is never replayed meanwhile (`#live`).
   */
  override async alarm(): Promise<void> {
    const now = Date.now();
    // Records of requests still running here stay; their execution deletes them if they outlive their TTL.
    this.#store.dropExpired(now, [...this.#running.keys()]);
    const next = this.#store.nextDropAt();
    if (next !== null) {
      const at = Math.max(next, now + EXPIRY_SWEEP_MS);
      await this.ctx.storage.setAlarm(at);
      this.#alarmAt = at;
    } else if (this.#running.size === 0) {
      // Nothing left: drop the object's storage entirely (the alarm goes with it).
      await this.ctx.storage.deleteAll();
      this.#store.forgetSchema();
      this.#alarmAt = null;
    } else {
      this.#alarmAt = null;
    }
  }
}
