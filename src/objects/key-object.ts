import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { inRanges } from "../http/status.ts";
import { fullBody } from "../origin/exchange.ts";
import { meetsSuccessConditions } from "../origin/response-conditions.ts";
import type { KeyCall } from "../protocol/messages.ts";
import type { Outcome } from "../protocol/outcomes.ts";
import { answered, coordinatorUnavailable, type ErrorResult, errorResult, exchangeFailed, type GatewayResult } from "../protocol/results.ts";
import type { PurgeResult, RecordSnapshot } from "../protocol/snapshots.ts";
import { errorMessage } from "../util/error-message.ts";
import { type IdemRecord, RecordStore } from "./record-store.ts";
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
 *   answer (or release the key when nothing should be remembered);
 * - same key, same fingerprint, completed: replay;
 * - same key, different fingerprint: `fingerprint-mismatch`;
 * - same key while in flight: wait for the first (up to `waitTimeoutMs`) and
 *   replay, or answer `in-progress` at once in `conflict` mode;
 * - `reject` mode (single-use keys): `key-already-used` once completed,
 *   `in-progress` while in flight, whatever the body.
 *
 * The origin exchange belongs to the object, not to the client's Worker
 * invocation, so a client that disconnects does not stop it.
 */
export class KeyObject extends DurableObject<Env> {
  #store: RecordStore;
  /** Executions running in this instance, by record ID; each settles when its record is final. */
  readonly #running = new Map<string, Promise<void>>();
  /** Cached alarm time; undefined until read from storage. */
  #alarmAt: number | null | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#store = new RecordStore(ctx.storage);
  }

  /**
   * Decides one request for a record, running it at the origin if it is new.
   *
   * @example
   * const result = await stubFor(env.KEYS, objectName, placement).handle(call);
   */
  async handle(call: KeyCall): Promise<GatewayResult> {
    const { policy } = call;
    const deadline = Date.now() + policy.waitTimeoutMs;
    let waited = false;
    for (;;) {
      const now = Date.now();
      const record = this.#live(call.id, now);
      if (!record) return this.#execute(call, now);
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
    const record = this.#store.find(id);
    if (!record) return null;
    const now = Date.now();
    return {
      id: record.id,
      kind: record.kind,
      route: record.route,
      state: record.expiresAt <= now ? "expired" : record.state === "in_flight" ? "in-flight" : "completed",
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
    };
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
  #refuseReuse(record: IdemRecord, call: KeyCall, retryAfterSeconds: number): ErrorResult {
    const differs = record.fingerprint === call.fingerprint ? "" : " (and this request differs from the first)";
    if (record.state !== "completed") {
      return errorResult("conflict", "in-progress", `the first request with this key is still in progress${differs}; this one was not forwarded`, {
        retryAfterSeconds,
      });
    }
    return errorResult("rejected", "key-already-used", `this key has already been used${differs}; send a new key for a new request`, {
      expiresAt: record.expiresAt,
    });
  }

  /** The record, unless it has expired (deleted now) or its owner died and its lock ran out (taken over). */
  #live(id: string, now: number): IdemRecord | undefined {
    const record = this.#store.get(id);
    if (!record) return undefined;
    const running = this.#running.has(id);
    // A request still running here keeps its record, however long it waits (a document's queue can outlast the TTL).
    const expired = record.expiresAt <= now && !running;
    const lockLost = record.state === "in_flight" && !running && (record.lockExpiresAt ?? 0) <= now;
    if (expired || lockLost) {
      this.#store.delete(id);
      return undefined;
    }
    return record;
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
    try {
      try {
        await this.#scheduleExpiry(expiresAt);
      } catch (error) {
        // A record without its expiry alarm would never be cleaned up; take it back.
        this.#release(call.id);
        return unwritten(error);
      }
      return await this.#exchangeAndStore(call, expiresAt, lockExpiresAt);
    } finally {
      this.#running.delete(call.id);
      finished.resolve();
    }
  }

  /**
   * Frees a key so a retry runs the request again. Best effort: if storage
   * refuses even this, the in-flight record is taken over once its lock runs out.
   */
  #release(id: string): void {
    try {
      this.#store.delete(id);
    } catch {
      // Left to the lock timeout, as above.
    }
  }

  async #exchangeAndStore(call: KeyCall, expiresAt: number, lockExpiresAt: number): Promise<GatewayResult> {
    const { policy } = call;
    const result = await runExchange(this.env, call.exchange);
    if (!result.ok) {
      this.#release(call.id);
      return exchangeFailed(result);
    }
    // An answer that outlived its record's TTL is not remembered: replaying it is already past its time.
    const outlived = expiresAt <= Date.now();
    if (outlived || inRanges(result.status, policy.neverStore) || !meetsSuccessConditions(policy.successWhen, result)) {
      this.#release(call.id);
      return answered("forwarded", result, fullBody(result));
    }
    // A single-use key's answer is never served again, so its body is not kept.
    const retained = policy.mode === "reject" || result.rest ? null : result.body;
    let stored: boolean;
    try {
      stored = this.#store.complete(call.id, { status: result.status, headers: result.storableHeaders, body: retained });
    } catch (error) {
      // The origin ran the request, but nothing of its answer is stored (the completion is one transaction).
      // The in-flight record stays: retries are refused until its lock runs out, then run the request again.
      await result.rest?.cancel();
      return coordinatorUnavailable(
        `the origin answered ${result.status}, but the answer could not be stored (${errorMessage(error)}); retries with this key are refused until the lock runs out, then run the request again`,
        { members: { originalStatus: result.status }, retryAfterSeconds: secondsUntil(lockExpiresAt, Date.now()), originMs: result.originMs },
      );
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
    this.#store.deleteExpired(now, [...this.#running.keys()]);
    const next = this.#store.nextExpiry(now);
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
