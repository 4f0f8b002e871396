import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { fullBody, type OriginFailure, type OriginResponse } from "../origin/exchange.ts";
import {
  type BatchRunCall,
  type GuardedResult,
  type KeyCall,
  OBJECT_PROTOCOL,
  type RecordListQuery,
  type Reservation,
  type ReserveCall,
} from "../protocol/messages.ts";
import {
  answered,
  type BatchRunResult,
  coordinatorUnavailable,
  type ErrorResult,
  type GatewayResult,
  unknownOutcome,
  versionSkew,
} from "../protocol/results.ts";
import type { KeyObjectRpc } from "../protocol/rpc.ts";
import type { OperatorResponse, PurgeResult, RecordFailure, RecordSnapshot, ResolveResult } from "../protocol/snapshots.ts";
import { refusalAnswer, releasedAnswer } from "../record/answers.ts";
import {
  type Answer,
  afterAnswer,
  afterFailure,
  afterStoreRefused,
  afterSweep,
  alarmNeeded,
  judge,
  mayPurge,
  mayResolve,
  secondsUntil,
  termsOf,
} from "../record/rules.ts";
import { errorMessage } from "../util/error-message.ts";
import { recordHolders, runBatch } from "./batch-runner.ts";
import { droppedAt, type IdemRecord } from "./record-schema.ts";
import { snapshotOf } from "./record-snapshot.ts";
import { type AttemptLock, RecordStore } from "./record-store.ts";
import { runExchange } from "./run-exchange.ts";

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
 * default (sharded) keyspace, or one per key. The rules of a record (new,
 * replay, mismatch, wait, lost lock, what is stored or released) are decided
 * in src/record/rules.ts; this class carries them out: storage, the
 * executions running in this instance, timers and the expiry alarm.
 *
 * The origin exchange belongs to the object, not to the client's Worker
 * invocation, so a client that disconnects does not stop it.
 */
export class KeyObject extends DurableObject<Env> implements KeyObjectRpc {
  #store: RecordStore;
  /** Executions running in this instance, by record ID; each settles when its record is final. */
  readonly #running = new Map<string, Promise<void>>();
  /**
   * By record ID, while attempts at it run here: the latest lock handed out and how many still run. An
   * attempt an operator purged with `force` runs on beside a retry; a new attempt's lock must differ from its.
   */
  readonly #locks = new Map<string, { latest: number; running: number }>();
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
   * const result = await keyObject(env, objectName, placement).decide(call);
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
   * const reserved = await keyObject(env, objectName, placement).reserve(call); // { reserved: true, expiresAt, lockExpiresAt }
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
   * const { results } = await keyObject(env, call.runner, placement).runBatch(call);
   */
  runBatch(call: BatchRunCall): Promise<BatchRunResult> {
    if (call.protocol !== OBJECT_PROTOCOL) {
      const refused = versionSkew("KeyObject", { sent: call.protocol, speaks: OBJECT_PROTOCOL });
      return Promise.resolve({ results: call.calls.map(() => refused) });
    }
    return runBatch(this.env, call, recordHolders(this.env, call.placement, { name: call.runner, object: this }));
  }

  /** Judges the call against its record and carries the verdict out; `whenNew` runs when the record is (or becomes) new. */
  async #decideThen<T>(call: ReserveCall, whenNew: (now: number) => Promise<T>): Promise<GatewayResult | T> {
    const waitUntil = Date.now() + call.policy.waitTimeoutMs;
    let waited = false;
    for (;;) {
      const now = Date.now();
      const running = this.#running.get(call.id);
      const verdict = judge(this.#store.get(call.id), call, { now, running: running !== undefined, waitUntil, waited });
      switch (verdict.do) {
        case "run":
          return whenNew(now);
        case "expire":
        case "take-over":
          this.#store.delete(call.id);
          return whenNew(now);
        case "declare-lost":
          this.#store.markUnknown(call.id, { lockExpiresAt: verdict.lock }, verdict.failure);
          return this.#answer(verdict.after);
        case "wait":
          if (!running || !(await settlesWithin(running, verdict.ms))) return refusalAnswer(verdict.orElse);
          waited = true;
          break;
        default:
          return this.#answer(verdict);
      }
    }
  }

  /** A replay or a refusal; a lost record's answer never waits (nothing runs it). */
  #answer(answer: Answer<IdemRecord>): GatewayResult {
    if (answer.do === "replay") {
      const { record } = answer;
      // Only completed records are replayed, and every completed record has its status.
      return answered(answer.outcome, { status: record.status ?? 500, headers: record.headers }, this.#store.replayBody(record), record.expiresAt);
    }
    return refusalAnswer(answer.do === "wait" ? answer.orElse : answer.refusal);
  }

  /**
   * The record with this ID, as the admin API shows it; null when this object
   * holds none. The body comes along only when asked for.
   *
   * @example
   * const snapshot = await keyObject(env, objectName, placement).inspect(recordId, { body: false });
   */
  inspect(id: string, options: { body: boolean }): RecordSnapshot | null {
    const record = this.#store.get(id);
    if (!record) return null;
    const body = options.body && record.bodyRetained ? this.#store.bodyOf(record) : undefined;
    return snapshotOf(record, { running: this.#running.has(id), now: Date.now(), body });
  }

  /**
   * This object's records in one state, by record ID after `after`, at most
   * `limit`, expired ones left out, without bodies: one page of the admin
   * API's list (src/admin/record-list.ts). Reads storage only; an object that
   * never stored anything is left without storage.
   *
   * @example
   * const page = await keyObject(env, "shard-17", placement).list({ state: "unknown", after: "", limit: 100 });
   */
  list(query: RecordListQuery): RecordSnapshot[] {
    const now = Date.now();
    return this.#store.list(query, now).map((record) => snapshotOf(record, { running: this.#running.has(record.id), now }));
  }

  /**
   * Stores a response an operator gives for a record whose outcome is
   * unknown (or whose owner died in flight), after finding out at the origin
   * what happened: retries with its key then get it as a replay. A completed
   * record is left alone (purge it first), and so is one still running here.
   *
   * @example
   * await keyObject(env, objectName, placement).resolve(recordId, { status: 201, headers, body }) // { resolved: true, previous: "outcome-unknown" }
   */
  resolve(id: string, response: OperatorResponse): ResolveResult {
    const snapshot = this.inspect(id, { body: false });
    if (!snapshot) return { resolved: false, reason: "not-found" };
    const allowed = mayResolve(snapshot.state, snapshot.running);
    if (!allowed.may) return { resolved: false, reason: allowed.reason };
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
   * await keyObject(env, objectName, placement).purge(recordId, { force: false }) // { purged: true, state: "completed" }
   */
  purge(id: string, options: { force: boolean }): PurgeResult {
    const snapshot = this.inspect(id, { body: false });
    if (!snapshot) return { purged: false, reason: "not-found" };
    if (!mayPurge(snapshot.running, options)) return { purged: false, reason: "running" };
    this.#store.delete(id);
    return { purged: true, state: snapshot.state };
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
   * die, the record is then taken over as an unknown outcome (`judge`).
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
    const { expiresAt, lockExpiresAt } = termsOf(policy, now, this.#locks.get(call.id)?.latest);
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
    const locks = this.#locks.get(call.id) ?? { latest: lockExpiresAt, running: 0 };
    this.#locks.set(call.id, { latest: lockExpiresAt, running: locks.running + 1 });
    const finish = () => {
      // A record released and begun again meanwhile runs under its own promise.
      if (this.#running.get(call.id) === finished.promise) this.#running.delete(call.id);
      const held = this.#locks.get(call.id);
      if (held && --held.running === 0) this.#locks.delete(call.id);
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

  /** Carries out a failed exchange's fate (`afterFailure`): the key released, or the outcome remembered as unknown. */
  #failed(call: ReserveCall, result: Extract<GuardedResult, { ok: false }>, expiresAt: number, by: AttemptLock): ErrorResult {
    const fate = afterFailure(call.policy, result);
    if (fate.do === "release") {
      this.#release(call.id, by);
      return releasedAnswer(result, fate.because);
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

  /** Carries out an answer's fate (`afterAnswer`): stored for the in-flight record, or the key released. */
  async #remember(call: ReserveCall, result: OriginResponse, expiresAt: number, lockExpiresAt: number): Promise<GatewayResult> {
    const fate = afterAnswer(call.policy, result, expiresAt, Date.now());
    if (fate.do === "release") {
      this.#release(call.id, { lockExpiresAt });
      return answered("forwarded", result, fullBody(result));
    }
    let stored: boolean;
    try {
      const body = fate.keepBody ? result.body : null;
      stored = this.#store.complete(call.id, { status: result.status, headers: result.storableHeaders, body }, { lockExpiresAt });
    } catch (error) {
      // The origin ran the request, but nothing of its answer is stored (the completion is one transaction).
      await result.rest?.cancel();
      const failure: RecordFailure = {
        kind: "answer-not-stored",
        detail: `the origin answered ${result.status}, but its answer could not be stored (${errorMessage(error)})`,
        originStatus: result.status,
        at: Date.now(),
      };
      if (afterStoreRefused(call.policy).do === "remember-unknown" && this.#rememberUnknown(call.id, { lockExpiresAt }, failure)) {
        return { ...unknownOutcome(failure, expiresAt, false), originMs: result.originMs };
      }
      const then = call.policy.onUnknownOutcome === "release" ? "run the request again" : "are told its outcome is unknown";
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
    if (alarmNeeded(this.#alarmAt, at)) {
      await this.ctx.storage.setAlarm(at);
      this.#alarmAt = at;
    }
  }

  /**
   * Drops the expiry buckets whose hour is over, then schedules what follows (`afterSweep`);
   * at-least-once delivery and late firing are both harmless. An expired
   * record is never replayed meanwhile (`judge`).
   */
  override async alarm(): Promise<void> {
    const now = Date.now();
    // Records of requests still running here stay; their execution deletes them if they outlive their TTL.
    this.#store.dropExpired(now, [...this.#running.keys()]);
    const next = afterSweep(now, this.#store.nextDropAt(), this.#running.size);
    if (next.do === "sweep-at") {
      await this.ctx.storage.setAlarm(next.at);
      this.#alarmAt = next.at;
    } else if (next.do === "drop-storage") {
      // The alarm goes with the storage.
      await this.ctx.storage.deleteAll();
      this.#store.forgetSchema();
      this.#alarmAt = null;
    } else {
      this.#alarmAt = null;
    }
  }
}
