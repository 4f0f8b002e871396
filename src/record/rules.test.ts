import { describe, expect, it } from "vitest";
import type { RecordPolicy } from "../model/config.ts";
import type { OriginResponse } from "../origin/exchange.ts";
import type { RecordFailure } from "../protocol/snapshots.ts";
import { parseFieldRef } from "../request/field-ref.ts";
import {
  afterAnswer,
  afterFailure,
  afterStoreRefused,
  afterSweep,
  alarmNeeded,
  EXPIRY_SWEEP_MS,
  judge,
  type Moment,
  mayPurge,
  mayResolve,
  type RecordFacts,
  shownState,
  termsOf,
  type Verdict,
} from "./rules.ts";

// docs/behaviour.md, rules 4–9 and 11, as a table: no store, no origin, no clock.

const policy: RecordPolicy = {
  route: "orders",
  kind: "key",
  mode: "replay",
  concurrency: "wait",
  waitTimeoutMs: 5_000,
  lockTimeoutMs: 35_000,
  ttlMs: 86_400_000,
  neverStore: [
    { from: 408, to: 409 },
    { from: 425, to: 425 },
    { from: 429, to: 429 },
  ],
  successWhen: [],
  onUnknownOutcome: "remember",
};

const NOW = 1_000_000;
const failure: RecordFailure = { kind: "origin-timeout", detail: "the origin did not answer within 30000 ms", at: NOW - 10 };

const inFlight: RecordFacts = {
  state: "in_flight",
  fingerprint: "f1",
  expiresAt: NOW + 60_000,
  lockExpiresAt: NOW + 20_000,
  bodyRetained: false,
  status: null,
  failure: null,
};
const completed: RecordFacts = { ...inFlight, state: "completed", lockExpiresAt: null, bodyRetained: true, status: 201 };
const unknown: RecordFacts = { ...inFlight, state: "unknown", lockExpiresAt: null, failure };
const lockRunOut: RecordFacts = { ...inFlight, lockExpiresAt: NOW - 1 };

/** Not running here, arrived just now. */
const here: Moment = { now: NOW, running: false, waitUntil: NOW + 5_000, waited: false };
const runningHere: Moment = { ...here, running: true };

type Row = [rule: string, record: RecordFacts | undefined, ask: { fingerprint: string; policy: RecordPolicy }, moment: Moment, verdict: Verdict];

const same = { fingerprint: "f1", policy };
const other = { fingerprint: "f2", policy };
const conflictMode = { fingerprint: "f1", policy: { ...policy, concurrency: "conflict" as const } };
const releasing = { fingerprint: "f1", policy: { ...policy, onUnknownOutcome: "release" as const } };
const singleUse = { fingerprint: "f1", policy: { ...policy, mode: "reject" as const } };
const singleUseOther = { fingerprint: "f2", policy: { ...policy, mode: "reject" as const } };
const dedup = { fingerprint: "f1", policy: { ...policy, kind: "dedup" as const } };
const lostFailure = expect.objectContaining({ kind: "object-lost", at: NOW });

const judged: Row[] = [
  ["4. no record: the request runs", undefined, same, here, { do: "run" }],
  ["5. completed, same request: replayed", completed, same, here, { do: "replay", outcome: "replayed", record: completed }],
  [
    "5. a 5xx is replayed like any answer",
    { ...completed, status: 503 },
    same,
    here,
    { do: "replay", outcome: "replayed", record: { ...completed, status: 503 } },
  ],
  [
    "5. replayed after waiting: waited-then-replayed",
    completed,
    same,
    { ...here, waited: true },
    { do: "replay", outcome: "waited-then-replayed", record: completed },
  ],
  ["5. a dedup rule's copy: deduplicated", completed, dedup, here, { do: "replay", outcome: "deduplicated", record: completed }],
  [
    "12. completed without its body: not replayable, never run again",
    { ...completed, bodyRetained: false },
    same,
    here,
    { do: "refuse", refusal: { kind: "response-not-replayable", originalStatus: 201, expiresAt: completed.expiresAt } },
  ],
  [
    "6. another request with the key: mismatch",
    completed,
    other,
    here,
    { do: "refuse", refusal: { kind: "fingerprint-mismatch", expiresAt: completed.expiresAt } },
  ],
  [
    "6. a mismatch while in flight",
    inFlight,
    other,
    runningHere,
    { do: "refuse", refusal: { kind: "fingerprint-mismatch", expiresAt: inFlight.expiresAt } },
  ],
  [
    "6. a mismatch against an unknown outcome",
    unknown,
    other,
    here,
    { do: "refuse", refusal: { kind: "fingerprint-mismatch", expiresAt: unknown.expiresAt } },
  ],
  [
    "7. in flight here: wait for it until waitUntil",
    inFlight,
    same,
    runningHere,
    { do: "wait", ms: 5_000, orElse: { kind: "in-progress", retryAfterSeconds: 1 } },
  ],
  [
    "7. waited long enough: in-progress",
    inFlight,
    same,
    { ...runningHere, now: NOW + 5_000 },
    { do: "refuse", refusal: { kind: "in-progress", retryAfterSeconds: 1 } },
  ],
  [
    "7. conflict mode: in-progress at once",
    inFlight,
    conflictMode,
    runningHere,
    { do: "refuse", refusal: { kind: "in-progress", retryAfterSeconds: 1 } },
  ],
  [
    "8. in flight, owner gone, lock ahead: in-progress until the lock runs out",
    inFlight,
    same,
    here,
    { do: "refuse", refusal: { kind: "in-progress", retryAfterSeconds: 20 } },
  ],
  [
    "8. lock run out: declared lost, an unknown outcome, not run again",
    lockRunOut,
    same,
    here,
    {
      do: "declare-lost",
      lock: NOW - 1,
      failure: lostFailure,
      after: { do: "refuse", refusal: { kind: "outcome-unknown", failure: lostFailure, expiresAt: lockRunOut.expiresAt } },
    },
  ],
  [
    "8. lock run out, another request: declared lost, then a mismatch",
    lockRunOut,
    other,
    here,
    {
      do: "declare-lost",
      lock: NOW - 1,
      failure: lostFailure,
      after: { do: "refuse", refusal: { kind: "fingerprint-mismatch", expiresAt: lockRunOut.expiresAt } },
    },
  ],
  ["8. lock run out, the route releases: taken over", lockRunOut, releasing, here, { do: "take-over" }],
  [
    "8. the lock is only lost when nothing runs it here",
    lockRunOut,
    same,
    runningHere,
    { do: "wait", ms: 5_000, orElse: { kind: "in-progress", retryAfterSeconds: 1 } },
  ],
  [
    "9. unknown outcome: told again, not run",
    unknown,
    same,
    here,
    { do: "refuse", refusal: { kind: "outcome-unknown", failure, expiresAt: unknown.expiresAt } },
  ],
  [
    "9. unknown outcome on a releasing route stays told (release happens at the failure)",
    unknown,
    releasing,
    here,
    { do: "refuse", refusal: { kind: "outcome-unknown", failure, expiresAt: unknown.expiresAt } },
  ],
  ["11. past its TTL: expired, then new", { ...completed, expiresAt: NOW }, same, here, { do: "expire" }],
  [
    "11. past its TTL while running here: kept",
    { ...inFlight, expiresAt: NOW - 1 },
    same,
    runningHere,
    { do: "wait", ms: 5_000, orElse: { kind: "in-progress", retryAfterSeconds: 1 } },
  ],
  ["11. an unknown outcome expires too", { ...unknown, expiresAt: NOW - 1 }, same, here, { do: "expire" }],
  [
    "single-use key, completed: key-already-used",
    completed,
    singleUse,
    here,
    { do: "refuse", refusal: { kind: "key-already-used", differs: false, expiresAt: completed.expiresAt } },
  ],
  [
    "single-use key, another body: key-already-used, saying it differs",
    completed,
    singleUseOther,
    here,
    { do: "refuse", refusal: { kind: "key-already-used", differs: true, expiresAt: completed.expiresAt } },
  ],
  [
    "single-use key in flight: in-progress at once, never waits",
    inFlight,
    singleUse,
    runningHere,
    { do: "refuse", refusal: { kind: "in-progress", retryAfterSeconds: 1, singleUse: { differs: false } } },
  ],
  [
    "single-use key, unknown outcome: told so",
    unknown,
    singleUseOther,
    here,
    { do: "refuse", refusal: { kind: "outcome-unknown", failure, expiresAt: unknown.expiresAt } },
  ],
];

describe("judge: what a request gets from its record", () => {
  it.each(judged)("%s", (_rule, record, ask, moment, verdict) => {
    expect(judge(record, ask, moment)).toEqual(verdict);
  });
});

function response(status: number, extra: Partial<OriginResponse> = {}): OriginResponse {
  return { ok: true, status, headers: [], storableHeaders: [], body: new TextEncoder().encode("{}"), originMs: 1, ...extra };
}

describe("afterAnswer: what becomes of the origin's answer", () => {
  const expiresAt = NOW + 60_000;
  it.each([
    ["4. an answer is stored with its body", policy, response(201), NOW, { do: "store", keepBody: true }],
    ["5. a 500 is stored", policy, response(500), NOW, { do: "store", keepBody: true }],
    ["5. 408/409/425/429 mean nothing happened: released", policy, response(429), NOW, { do: "release", because: "never-store" }],
    ["5. 409 too", policy, response(409), NOW, { do: "release", because: "never-store" }],
    ["an answer that outlived the TTL: released", policy, response(201), expiresAt, { do: "release", because: "outlived" }],
    [
      "12. a body past the buffer limit: stored without it",
      policy,
      response(201, { rest: new ReadableStream() }),
      NOW,
      { do: "store", keepBody: false },
    ],
    [
      "a single-use key's answer is never served again: stored without its body",
      { ...policy, mode: "reject" as const },
      response(201),
      NOW,
      { do: "store", keepBody: false },
    ],
  ] as const)("%s", (_rule, p, answer, now, fate) => {
    expect(afterAnswer(p, answer, expiresAt, now)).toEqual(fate);
  });

  it("an answer missing successWhen is released (Erply's HTTP 200 errors)", () => {
    const successWhen = [{ field: parseFieldRef("body:/status/responseStatus"), values: ["ok"] }];
    const erply = (status: string) =>
      response(200, {
        headers: [["content-type", "application/json"]],
        body: new TextEncoder().encode(JSON.stringify({ status: { responseStatus: status } })),
      });
    expect(afterAnswer({ ...policy, successWhen }, erply("error"), expiresAt, NOW)).toEqual({ do: "release", because: "not-a-success" });
    expect(afterAnswer({ ...policy, successWhen }, erply("ok"), expiresAt, NOW)).toEqual({ do: "store", keepBody: true });
  });
});

describe("afterFailure: 9. at most once", () => {
  it.each([
    ["never began: released, the retry runs", policy, "never-began", { do: "release", because: "never-began" }],
    [
      "never began on a releasing route: released",
      { ...policy, onUnknownOutcome: "release" as const },
      "never-began",
      { do: "release", because: "never-began" },
    ],
    ["unknown: remembered, never run again", policy, "unknown", { do: "remember-unknown" }],
    [
      "unknown, onUnknownOutcome = release: released",
      { ...policy, onUnknownOutcome: "release" as const },
      "unknown",
      { do: "release", because: "route-releases" },
    ],
    ["an end not said (an older object): unknown", policy, undefined, { do: "remember-unknown" }],
  ] as const)("%s", (_rule, p, end, fate) => {
    expect(afterFailure(p, { end })).toEqual(fate);
  });

  it("an answer storage refused: remembered as unknown, or held in flight until its lock runs out", () => {
    expect(afterStoreRefused(policy)).toEqual({ do: "remember-unknown" });
    expect(afterStoreRefused({ ...policy, onUnknownOutcome: "release" })).toEqual({ do: "hold" });
  });
});

describe("a new record's terms", () => {
  it("expires at its TTL, and never before its lock runs out", () => {
    expect(termsOf(policy, NOW)).toEqual({ expiresAt: NOW + policy.ttlMs, lockExpiresAt: NOW + 35_000 });
    expect(termsOf({ ...policy, ttlMs: 1_000 }, NOW)).toEqual({ expiresAt: NOW + 35_000, lockExpiresAt: NOW + 35_000 });
  });

  it("names an attempt apart from one still running here (purged with force) that began in the same millisecond", () => {
    const purged = termsOf(policy, NOW);
    const retry = termsOf(policy, NOW, purged.lockExpiresAt);
    expect(retry.lockExpiresAt).toBeGreaterThan(purged.lockExpiresAt);
    expect(termsOf(policy, NOW + 10, purged.lockExpiresAt)).toEqual(termsOf(policy, NOW + 10));
  });
});

describe("11. expiry", () => {
  it("a new record moves the alarm only when none is set or it comes later", () => {
    expect(alarmNeeded(null, NOW)).toBe(true);
    expect(alarmNeeded(NOW + 1, NOW)).toBe(true);
    expect(alarmNeeded(NOW, NOW)).toBe(false);
  });

  it("after a sweep: the next no sooner than a minute on, or the storage dropped once nothing is left", () => {
    expect(afterSweep(NOW, NOW + 10, 0)).toEqual({ do: "sweep-at", at: NOW + EXPIRY_SWEEP_MS });
    expect(afterSweep(NOW, NOW + 2 * EXPIRY_SWEEP_MS, 0)).toEqual({ do: "sweep-at", at: NOW + 2 * EXPIRY_SWEEP_MS });
    expect(afterSweep(NOW, null, 0)).toEqual({ do: "drop-storage" });
    expect(afterSweep(NOW, null, 1)).toEqual({ do: "idle" });
  });
});

describe("what an operator may do", () => {
  it.each([
    ["in-flight", false, { may: true }],
    ["outcome-unknown", false, { may: true }],
    ["outcome-unknown", true, { may: false, reason: "running" }],
    ["completed", false, { may: false, reason: "completed" }],
    ["expired", false, { may: false, reason: "expired" }],
  ] as const)("resolve a record %s (running here: %s)", (state, running, allowed) => {
    expect(mayResolve(state, running)).toEqual(allowed);
  });

  it("purges a running record only when forced", () => {
    expect(mayPurge(true, { force: false })).toBe(false);
    expect(mayPurge(true, { force: true })).toBe(true);
    expect(mayPurge(false, { force: false })).toBe(true);
  });

  it("sees a record past its expiry as expired", () => {
    expect(shownState(inFlight, NOW)).toBe("in-flight");
    expect(shownState(unknown, NOW)).toBe("outcome-unknown");
    expect(shownState(completed, completed.expiresAt)).toBe("expired");
  });
});
