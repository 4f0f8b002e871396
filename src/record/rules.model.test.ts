/**
 * A model check of the record's rules (rules.ts): a simulated KeyObject that
 * carries the verdicts out as key-object.ts does (in-memory storage, the
 * running map, a clock, the alarm), driven by fast-check through random
 * interleavings of first requests and retries, origin outcomes, eviction,
 * time passing (locks running out, hung exchanges timing out, waits ending),
 * expiry sweeps, purges and resolves, for one key and for a shard of three.
 * After every step it checks the invariants of docs/faults.md ("The model").
 * The same invariants are checked against the real KeyObject in workerd by
 * test/model.test.ts, with a smaller budget.
 */

import fc from "fast-check";
import { describe, it } from "vitest";
import type { RecordPolicy } from "../model/config.ts";
import type { OriginResponse } from "../origin/exchange.ts";
import { afterAnswer, afterFailure, afterSweep, alarmNeeded, judge, mayPurge, mayResolve, type RecordFacts, shownState, termsOf } from "./rules.ts";

const ORIGIN_TIMEOUT_MS = 3_000;

/** What the origin does with one request. `hang`: never answers (the exchange times out); `evicted` never reaches here. */
type OriginOutcome = "answered-201" | "answered-500" | "answered-429" | "never-began" | "unknown" | "hang";

/** Whether the origin executed a request that ended so (a 429 means nothing happened; never-began: it never got it). */
const executes = (outcome: OriginOutcome | "lost"): boolean => outcome !== "never-began" && outcome !== "answered-429";

interface SimRecord extends RecordFacts {
  body: string | null;
  /** The attempt that wrote it; 0 for none. */
  attempt: number;
}

interface Attempt {
  id: number;
  key: string;
  /** The key's life it began in. */
  life: number;
  instance: number;
  startedAt: number;
  lockExpiresAt: number;
  expiresAt: number;
  outcome: OriginOutcome;
  /** Forcibly purged while it ran. */
  purged?: boolean;
  /** A bulk call's reservation: its exchange runs in another object, and outlives this instance. */
  reserved: boolean;
}

interface Waiter {
  key: string;
  fingerprint: string;
  waitUntil: number;
  instance: number;
}

class Violation extends Error {}

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Violation(message);
}

/**
 * One KeyObject (a shard) as key-object.ts runs it, over rules.ts, with the
 * checks of the invariants built in. Requests are decided synchronously; an
 * exchange stays pending until the model settles it or times it out.
 */
class SimulatedShard {
  now = 1_000_000;
  instance = 0;
  readonly store = new Map<string, SimRecord>();
  /** Key → the attempt running it in this instance. */
  readonly running = new Map<string, Attempt>();
  readonly pending: Attempt[] = [];
  /** Exchanges of lost instances: the origin may still be working on them until their lock runs out. */
  orphans: Attempt[] = [];
  waiters: Waiter[] = [];
  alarmAt: number | null = null;
  #attempts = 0;
  #answers = 0;
  /** A key's life: it moves on when the key is legitimately freed (its TTL over, an operator's purge, a route's release). */
  readonly #life = new Map<string, number>();
  /** Executions at the origin per key and life. */
  readonly #executions = new Map<string, number>();
  /** The answer a key's record holds, once stored: every replay must equal it. */
  readonly first = new Map<string, string>();

  constructor(readonly policy: RecordPolicy) {}

  /** The key is free for a new execution: its TTL is over, an operator purged it, or the route releases it. */
  #freed(key: string): void {
    this.#life.set(key, this.lifeOf(key) + 1);
    this.first.delete(key);
  }

  lifeOf(key: string): number {
    return this.#life.get(key) ?? 0;
  }

  #executed(attempt: Attempt): void {
    const life = `${attempt.key} (life ${attempt.life})`;
    const count = (this.#executions.get(life) ?? 0) + 1;
    this.#executions.set(life, count);
    assert(count <= 1, `the origin executed ${life} ${count} times`);
  }

  /**
   * A request for the key. `reserved`: a call of a bulk request, whose record
   * this object only reserves (`reserve`); another object runs the exchange
   * and completes or fails the reservation here, in whatever instance then
   * holds the record.
   */
  arrive(key: string, fingerprint: string, reserved = false, waited = false, waitUntil = this.now + this.policy.waitTimeoutMs): void {
    for (;;) {
      const running = this.running.get(key);
      const record = this.store.get(key);
      const verdict = judge(record, { fingerprint, policy: this.policy }, { now: this.now, running: running !== undefined, waitUntil, waited });
      switch (verdict.do) {
        case "expire":
        case "take-over":
          assert(record !== undefined && running === undefined, `${key}: ${verdict.do} while running here`);
          if (verdict.do === "expire") assert(record.expiresAt <= this.now, `${key} expired before its TTL`);
          else {
            assert(this.policy.onUnknownOutcome === "release", `${key} taken over on a route that remembers unknown outcomes`);
            assert((record.lockExpiresAt ?? 0) <= this.now, `${key} taken over before its lock ran out`);
          }
          this.store.delete(key);
          this.#freed(key);
          continue;
        case "run":
          this.#begin(key, fingerprint, reserved);
          return;
        case "declare-lost":
          assert(
            record !== undefined && record.state === "in_flight" && record.lockExpiresAt === verdict.lock,
            "declared lost: not an in-flight record",
          );
          this.store.set(key, { ...record, state: "unknown", lockExpiresAt: null, failure: verdict.failure });
          return;
        case "wait":
          this.waiters.push({ key, fingerprint, waitUntil, instance: this.instance });
          return;
        case "replay": {
          const first = this.first.get(key);
          assert(
            first !== undefined && verdict.record.body === first,
            `a replay of ${key} (${verdict.record.body}) differs from its first answer (${first})`,
          );
          return;
        }
        case "refuse": {
          const { refusal } = verdict;
          if (refusal.kind === "in-progress") {
            // Nothing stays in flight past its lock: only a record whose lock runs, or one running here, is in progress.
            assert(
              record !== undefined && (running !== undefined || (record.lockExpiresAt ?? 0) > this.now),
              `${key} refused in-progress past its lock`,
            );
          }
          return;
        }
      }
    }
  }

  #begin(key: string, fingerprint: string, reserved: boolean): void {
    // Never two executions of one key at once: every earlier attempt has settled, or its lock has run out.
    const overlapping = [...this.pending, ...this.orphans].find((a) => a.key === key && !a.purged && a.lockExpiresAt > this.now);
    assert(overlapping === undefined, `${key} runs again while attempt ${overlapping?.id} may still be at the origin`);
    const { expiresAt, lockExpiresAt } = termsOf(this.policy, this.now, this.#latestLock(key));
    const id = ++this.#attempts;
    this.store.set(key, {
      state: "in_flight",
      fingerprint,
      expiresAt,
      lockExpiresAt,
      bodyRetained: false,
      status: null,
      failure: null,
      body: null,
      attempt: id,
    });
    const attempt: Attempt = {
      id,
      key,
      life: this.lifeOf(key),
      instance: this.instance,
      startedAt: this.now,
      lockExpiresAt,
      expiresAt,
      outcome: "hang",
      reserved,
    };
    this.running.set(key, attempt);
    this.pending.push(attempt);
    if (alarmNeeded(this.alarmAt, expiresAt)) this.alarmAt = expiresAt;
  }

  /** The latest lock of attempts at the key still running in this instance (key-object.ts keeps it in `#locks`). */
  #latestLock(key: string): number | undefined {
    const locks = this.pending.filter((a) => a.key === key && a.instance === this.instance).map((a) => a.lockExpiresAt);
    return locks.length ? Math.max(...locks) : undefined;
  }

  /** The origin answers (or fails) the pending exchange at `index`. */
  settle(index: number, outcome: OriginOutcome): void {
    const attempt = this.pending[index % this.pending.length];
    if (!attempt) return;
    attempt.outcome = outcome;
    if (outcome === "hang") return;
    this.#finish(attempt, outcome);
  }

  #finish(attempt: Attempt, outcome: Exclude<OriginOutcome, "hang">): void {
    this.pending.splice(this.pending.indexOf(attempt), 1);
    const { key, lockExpiresAt } = attempt;
    if (executes(outcome)) this.#executed(attempt);
    const mine = (r: SimRecord | undefined): r is SimRecord => r?.state === "in_flight" && r.lockExpiresAt === lockExpiresAt;
    const record = this.store.get(key);
    if (outcome.startsWith("answered-")) {
      const status = Number(outcome.slice("answered-".length));
      const body = `answer-${++this.#answers}`;
      const response: OriginResponse = { ok: true, status, headers: [], storableHeaders: [], body: new TextEncoder().encode(body), originMs: 1 };
      const fate = afterAnswer(this.policy, response, attempt.expiresAt, this.now);
      if (fate.do === "release") {
        if (fate.because === "outlived") assert(attempt.expiresAt <= this.now, `${key}'s answer released as outliving a TTL that had not run out`);
        else assert(status === 429, `${key}'s ${status} released`);
        if (mine(record)) {
          this.store.delete(key);
          if (fate.because === "outlived") this.#freed(key);
        }
      } else if (mine(record)) {
        this.store.set(key, {
          ...record,
          state: "completed",
          lockExpiresAt: null,
          status,
          bodyRetained: fate.keepBody,
          body: fate.keepBody ? body : null,
        });
        this.first.set(key, body);
      }
    } else {
      const fate = afterFailure(this.policy, { end: outcome === "never-began" ? "never-began" : "unknown" });
      if (fate.do === "release") {
        if (fate.because === "route-releases") assert(this.policy.onUnknownOutcome === "release", `${key} released on a route that remembers`);
        else assert(outcome === "never-began", `${key} released as never begun after ${outcome}`);
        if (mine(record)) {
          this.store.delete(key);
          if (fate.because === "route-releases") this.#freed(key);
        }
      } else if (mine(record)) {
        this.store.set(key, { ...record, state: "unknown", lockExpiresAt: null, failure: { kind: "origin-unreachable", detail: "", at: this.now } });
      }
      // A never-began outcome always frees the key (unless a newer attempt holds it).
      if (outcome === "never-began") assert(this.store.get(key)?.attempt !== attempt.id, `${key} still held after its exchange never began`);
    }
    if (this.running.get(key) === attempt) this.running.delete(key);
    this.#wake(key);
  }

  /** Waiters of a settled record judge again, as `settlesWithin` resolving would let them. */
  #wake(key: string): void {
    const woken = this.waiters.filter((w) => w.key === key && w.instance === this.instance && !this.running.has(key));
    this.waiters = this.waiters.filter((w) => !woken.includes(w));
    for (const w of woken) this.arrive(w.key, w.fingerprint, false, true, w.waitUntil);
  }

  /** Time passes: hung exchanges time out (an unknown outcome), waits run out, in time order. */
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const timeouts = this.pending.map((a) => ({ at: a.startedAt + ORIGIN_TIMEOUT_MS, a }));
      const nextTimeout = timeouts.sort((x, y) => x.at - y.at)[0];
      const nextWait = [...this.waiters].sort((x, y) => x.waitUntil - y.waitUntil)[0];
      const at = Math.min(nextTimeout?.at ?? Infinity, nextWait?.waitUntil ?? Infinity);
      if (at > until) break;
      this.now = Math.max(this.now, at);
      if (nextTimeout && nextTimeout.at === at) this.#finish(nextTimeout.a, "unknown");
      else if (nextWait) {
        this.waiters.splice(this.waiters.indexOf(nextWait), 1);
        // Its wait ran out: in-progress (1 s), the answer judge gave it beforehand.
      }
    }
    this.now = until;
  }

  /**
   * The instance is lost (eviction, crash): its own exchanges' answers never
   * come back, its waiters fail, the running map is empty. Reservations live
   * on in their runner, which completes them in the next instance. The
   * restart takes a second: the attempt lock is a time, and a new instance
   * does not know the locks of reservations still out (docs/faults.md, "The
   * model", on what that leaves).
   */
  evict(): void {
    this.now += 1_000;
    for (const attempt of this.pending.filter((a) => a.instance === this.instance && !a.reserved)) {
      this.pending.splice(this.pending.indexOf(attempt), 1);
      // The origin may have executed it: count the worst case.
      if (executes(attempt.outcome === "hang" ? "lost" : attempt.outcome)) this.#executed(attempt);
      this.orphans.push(attempt);
    }
    this.waiters = [];
    this.running.clear();
    this.instance++;
  }

  /** The expiry alarm fires (at any time: late or twice is harmless). */
  alarm(): void {
    if (this.alarmAt === null || this.alarmAt > this.now) return;
    for (const [key, record] of this.store) {
      if (record.expiresAt <= this.now && !this.running.has(key)) {
        this.store.delete(key);
        this.#freed(key);
      }
    }
    const expiries = [...this.store.values()].map((r) => r.expiresAt).filter((at) => at > this.now);
    const next = afterSweep(this.now, expiries.length ? Math.min(...expiries) : null, this.running.size);
    this.alarmAt = next.do === "sweep-at" ? next.at : null;
  }

  purge(key: string, force: boolean): void {
    if (!this.store.has(key) || !mayPurge(this.running.has(key), { force })) return;
    this.store.delete(key);
    this.#freed(key);
    // A forced purge lets a retry run alongside the attempt still at the origin: the operator's choice, not a fault.
    this.orphans = this.orphans.filter((a) => a.key !== key);
    for (const a of this.pending) if (a.key === key) a.purged = true;
  }

  resolve(key: string): void {
    const record = this.store.get(key);
    if (!record || !mayResolve(shownState(record, this.now), this.running.has(key)).may) return;
    const body = `operator-${++this.#answers}`;
    this.store.set(key, { ...record, state: "completed", lockExpiresAt: null, failure: null, status: 200, bodyRetained: true, body, attempt: 0 });
    this.first.set(key, body);
  }

  /** Invariants that hold between any two steps. */
  check(): void {
    for (const attempt of this.running.values()) {
      // An exchange running here ends (at the latest by its timeout) before its lock runs out.
      assert(
        attempt.startedAt + ORIGIN_TIMEOUT_MS < attempt.lockExpiresAt && this.now < attempt.startedAt + ORIGIN_TIMEOUT_MS + 1,
        `${attempt.key} running past its timeout`,
      );
    }
    for (const w of this.waiters) assert(w.waitUntil > this.now, `${w.key} waiting past its wait`);
  }
}

type Command = fc.Command<object, SimulatedShard>;

function step(label: string, act: (shard: SimulatedShard) => void): Command {
  return {
    check: () => true,
    run: (_model, shard) => {
      act(shard);
      shard.check();
    },
    toString: () => label,
  };
}

function commands(keys: readonly string[]): fc.Arbitrary<Iterable<Command>> {
  const key = fc.constantFrom(...keys);
  const outcome = fc.constantFrom<OriginOutcome>("answered-201", "answered-500", "answered-429", "never-began", "unknown", "hang");
  const request = fc
    .tuple(key, fc.constantFrom("f1", "f1", "f1", "f2"), fc.boolean())
    .map(([k, f, reserved]) => step(`${reserved ? "bulk call" : "request"} ${k} ${f}`, (s) => s.arrive(k, f, reserved)));
  const settle = fc.tuple(fc.nat(), outcome).map(([i, o]) => step(`origin ${o} (exchange ${i})`, (s) => s.settle(i, o)));
  // Delays that cross the interesting lines (a wait, the origin's timeout, a lock, a TTL), and any other.
  const delay = fc.oneof(fc.constantFrom(1_000, 3_000, 5_000, 8_000, 20_000), fc.integer({ min: 1, max: 25_000 }));
  return fc.commands(
    [
      request,
      request,
      request,
      settle,
      settle,
      delay.map((ms) => step(`advance ${ms} ms`, (s) => s.advance(ms))),
      delay.map((ms) => step(`advance ${ms} ms`, (s) => s.advance(ms))),
      fc.constant(step("evict", (s) => s.evict())),
      fc.constant(step("alarm", (s) => s.alarm())),
      fc.tuple(key, fc.boolean()).map(([k, force]) => step(`purge ${k}${force ? " force" : ""}`, (s) => s.purge(k, force))),
      key.map((k) => step(`resolve ${k}`, (s) => s.resolve(k))),
    ],
    { maxCommands: 60, size: "max" },
  );
}

const policies: fc.Arbitrary<RecordPolicy> = fc.record({
  route: fc.constant("orders"),
  kind: fc.constantFrom<RecordPolicy["kind"]>("key", "dedup"),
  mode: fc.constantFrom<RecordPolicy["mode"]>("replay", "reject"),
  concurrency: fc.constantFrom<RecordPolicy["concurrency"]>("wait", "conflict"),
  waitTimeoutMs: fc.constantFrom(1_000, 5_000, 10_000),
  lockTimeoutMs: fc.constant(ORIGIN_TIMEOUT_MS + 5_000),
  ttlMs: fc.constantFrom(2_000, 20_000),
  neverStore: fc.constant<RecordPolicy["neverStore"]>([{ from: 429, to: 429 }]),
  successWhen: fc.constant<RecordPolicy["successWhen"]>([]),
  onUnknownOutcome: fc.constantFrom<RecordPolicy["onUnknownOutcome"]>("remember", "release"),
});

describe("model: a record's rules over random interleavings", () => {
  it.each([
    ["one key", ["k"]],
    ["a shard of three keys", ["k1", "k2", "k3"]],
  ] as const)(
    "%s: at most once per TTL, replays equal the first answer, nothing in flight past its lock, never-began frees the key",
    (_name, keys) => {
      fc.assert(
        fc.property(policies, commands(keys), (policy, cmds) => {
          fc.modelRun(() => ({ model: {}, real: new SimulatedShard(policy) }), cmds);
        }),
        { numRuns: 2_000 },
      );
    },
    // Well under a second alone; the margin is for a machine busy with other tests.
    30_000,
  );
});
