/**
 * Issue 5: the expiry alarm is at-least-once and may fire late or early.
 * Whenever it fires, and however often, it must not throw, must not delete a
 * live record, and an expired record must never be replayed, even before the
 * alarm has deleted it.
 *
 * All keys here share one KeyObject (`sharded`, one shard), so live and
 * expired records sit side by side under one alarm.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { droppedAt } from "../../src/objects/record-schema.ts";
import { advanceClockPast, restoreClock } from "../support/clock.ts";
import { eventually } from "../support/eventually.ts";
import { clientRequest, gatewayFor, newTag, originLog } from "../support/gateway.ts";
import { type KeyRecordLocation, locateKeyRecord, readKeyRecord, storedRows } from "../support/key-records.ts";

const oneShard = { strategy: "sharded" as const, shards: 1 };
// Records never expire before their lock (see KeyObject), so the lock is kept below the one-second TTL.
const config = {
  originTimeoutMs: 500,
  defaults: { lockTimeoutMs: 600 },
  keyspace: oneShard,
  routes: [
    { name: "short", path: "/short/*", ttlSeconds: 1 },
    { name: "long", path: "/long/*", ttlSeconds: 3_600 },
  ],
};
const send = gatewayFor(config);
// An origin call that outlasts the TTL: the lock (default: origin timeout + 5 s) must cover it.
const slowConfig = { originTimeoutMs: 3_000, keyspace: oneShard, routes: [{ name: "slow-short", path: "/slow/*", ttlSeconds: 1 }] };
const sendSlow = gatewayFor(slowConfig);

function alarmOf({ stub }: KeyRecordLocation): Promise<number | null> {
  return runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
}

function recordCount({ stub }: KeyRecordLocation): Promise<number> {
  return runInDurableObject(stub, (_instance, state) => storedRows(state).length);
}

/** Waits until the wall clock is past `at`, so a record that expires at `at` has expired. */
function after(at: number): Promise<true> {
  return eventually(async () => (Date.now() > at ? true : undefined), { intervalMs: 50 });
}

/** Simulates an alarm delivery that is late: the alarm moves an hour out, and a fresh instance reads that back. */
async function delayAlarm(location: KeyRecordLocation): Promise<void> {
  await runInDurableObject(location.stub, (_instance, state) => state.storage.setAlarm(Date.now() + 3_600_000));
  await evictDurableObject(location.stub);
}

describe("the alarm fires more than once", () => {
  it("early and twice: nothing live is deleted, no error, the record still replays", async () => {
    const tag = newTag();
    const key = `twice-${tag}`;
    const location = await locateKeyRecord(config, "long", key);
    await send(clientRequest("/long/a", { tag, key, json: {} }));
    const record = await readKeyRecord(location);

    expect(await runDurableObjectAlarm(location.stub)).toBe(true);
    expect(await runDurableObjectAlarm(location.stub)).toBe(true);

    expect(await readKeyRecord(location)).toEqual(record);
    expect(await alarmOf(location)).toBeLessThanOrEqual(droppedAt(record?.expiresAt ?? 0));
    const retry = await send(clientRequest("/long/a", { tag, key, json: {} }));
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("again after it emptied the object: no error, and the object takes new keys afterwards", async () => {
    const tag = newTag();
    const key = `emptied-${tag}`;
    const location = await locateKeyRecord(config, "short", key);
    // Clear what earlier tests left in the shared object, so only this test's record remains.
    await runInDurableObject(location.stub, (_instance, state) => state.storage.deleteAll());
    await evictDurableObject(location.stub);

    await send(clientRequest("/short/a", { tag, key, json: {} }));
    const record = await readKeyRecord(location);
    advanceClockPast(droppedAt(record?.expiresAt ?? 0));
    await runDurableObjectAlarm(location.stub);
    expect(await recordCount(location)).toBe(0);
    expect(await alarmOf(location)).toBeNull();

    // A duplicate delivery of the same alarm.
    await runInDurableObject(location.stub, (_instance, state) => state.storage.setAlarm(Date.now()));
    await runDurableObjectAlarm(location.stub);
    expect(await recordCount(location)).toBe(0);

    const fresh = await send(clientRequest("/short/a", { tag, key, json: {} }));
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get("idempotent-replayed")).toBeNull();
    expect(await readKeyRecord(location)).toMatchObject({ state: "completed" });
    expect(await alarmOf(location)).not.toBeNull();
    expect(await originLog(tag)).toHaveLength(2);
  });
});

describe("the alarm fires late", () => {
  it("an expired record is not replayed before the alarm comes, and the late alarm keeps the live ones", async () => {
    const tag = newTag();
    const shortKey = `late-short-${tag}`;
    const longKey = `late-long-${tag}`;
    const short = await locateKeyRecord(config, "short", shortKey);
    const long = await locateKeyRecord(config, "long", longKey);
    await send(clientRequest("/long/a", { tag, key: longKey, json: {} }));
    const first = await send(clientRequest("/short/a", { tag, key: shortKey, json: {} }));
    const firstBody = await first.text();
    await delayAlarm(short);

    const expired = await readKeyRecord(short);
    await after(expired?.expiresAt ?? 0);
    // Past its expiry, and the alarm has not come: the row is still there...
    expect(await readKeyRecord(short)).toEqual(expired);
    // ...but it is never replayed: the retry is a new request.
    const retry = await send(clientRequest("/short/a", { tag, key: shortKey, json: {} }));
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(await retry.text()).not.toBe(firstBody);
    expect(await originLog(tag)).toHaveLength(3);

    // The late alarm, then a duplicate of it.
    await runInDurableObject(short.stub, (_instance, state) => state.storage.setAlarm(Date.now()));
    expect(await runDurableObjectAlarm(short.stub)).toBe(true);
    await runDurableObjectAlarm(short.stub);
    const liveLong = await readKeyRecord(long);
    expect(liveLong).toMatchObject({ state: "completed" });
    const replay = await send(clientRequest("/long/a", { tag, key: longKey, json: {} }));
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await alarmOf(long)).not.toBeNull();
    expect(await originLog(tag)).toHaveLength(3);
  });
});

describe("the alarm fires while the request is still at the origin", () => {
  it("a TTL shorter than the origin call does not drop the record mid-call: a retry waits, the origin executes once", async () => {
    const tag = newTag();
    const key = `inflight-${tag}`;
    const location = await locateKeyRecord(slowConfig, "slow-short", key);
    const first = sendSlow(clientRequest("/slow/x", { tag, key, json: {}, headers: { "demo-delay": "2000" } }));
    const inFlight = await eventually(async () => {
      const record = await readKeyRecord(location);
      return record?.state === "in_flight" ? record : undefined;
    });
    // Past the end of the record's expiry bucket, with the origin still working, the alarm comes.
    advanceClockPast(droppedAt(inFlight.expiresAt));
    await runInDurableObject(location.stub, (_instance, state) => state.storage.setAlarm(Date.now()));
    await runDurableObjectAlarm(location.stub);
    // Back to the real time: the origin's answer must land within the record's TTL to be stored.
    restoreClock();
    expect(await readKeyRecord(location)).toMatchObject({ state: "in_flight" });

    const retry = await sendSlow(clientRequest("/slow/x", { tag, key, json: {} }));
    const answered = await first;
    expect(answered.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.text()).toBe(await answered.text());
    expect(await originLog(tag)).toHaveLength(1);
  });
});
