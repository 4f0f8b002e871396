/**
 * An object that holds many records (a shard) drops them by the hour: each
 * record lives in the table of the hour it expires in, and the alarm drops
 * a table whole once its hour is over, writing no row (docs/storage-schema.md).
 * The alarm wakes once per bucket, never sooner than a minute after the last
 * sweep: every wake is a billed Durable Object request (docs/scaling.md, "Alarms").
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { bucketOf, droppedAt } from "../src/objects/record-schema.ts";
import { EXPIRY_SWEEP_MS } from "../src/record/rules.ts";
import { advanceClockPast } from "./support/clock.ts";
import { clientRequest, gatewayFor, newTag } from "./support/gateway.ts";
import { locateKeyRecord, readKeyRecord } from "./support/key-records.ts";

const config = {
  keyspace: { strategy: "sharded" as const, shards: 1 },
  routes: [
    { name: "short", path: "/short/*", ttlSeconds: 1 },
    // Two hours: always in a later bucket than the short route's records.
    { name: "long", path: "/long/*", ttlSeconds: 7_200 },
  ],
};
const send = gatewayFor(config);

describe("expiry sweeps", () => {
  it("drop the buckets whose hour is over, whole, keep later ones, and wake next for the next bucket", async () => {
    const tag = newTag();
    const short = await locateKeyRecord(config, "short", `sweep-short-${tag}`);
    const long = await locateKeyRecord(config, "long", `sweep-long-${tag}`);
    await send(clientRequest("/short/a", { tag, key: `sweep-short-${tag}`, json: {} }));
    await send(clientRequest("/long/a", { tag, key: `sweep-long-${tag}`, json: {} }));
    const shortRecord = await readKeyRecord(short);
    const longRecord = await readKeyRecord(long);
    expect(bucketOf(longRecord?.expiresAt ?? 0)).toBeGreaterThan(bucketOf(shortRecord?.expiresAt ?? 0));
    const tables = () =>
      runInDurableObject(short.stub, (_instance, state) =>
        state.storage.sql
          .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE name GLOB 'records_*'")
          .toArray()
          .map((row) => row.name),
      );
    expect(await tables()).toHaveLength(2);

    advanceClockPast(droppedAt(shortRecord?.expiresAt ?? 0));
    await runDurableObjectAlarm(short.stub);
    const sweptAt = Date.now();
    expect(await readKeyRecord(short)).toBeUndefined();
    expect(await readKeyRecord(long)).toEqual(longRecord);
    expect(await tables()).toEqual([`records_${bucketOf(longRecord?.expiresAt ?? 0)}`]);
    const next = await runInDurableObject(short.stub, (_instance, state) => state.storage.getAlarm());
    expect(next).toBe(Math.max(droppedAt(longRecord?.expiresAt ?? 0), sweptAt + EXPIRY_SWEEP_MS));

    const replay = await send(clientRequest("/long/a", { tag, key: `sweep-long-${tag}`, json: {} }));
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
  });
});
