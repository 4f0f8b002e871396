import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ConfigInput } from "../src/config/schema.ts";
import { droppedAt, EXPIRY_BUCKET_MS } from "../src/objects/record-schema.ts";
import { advanceClockPast } from "./support/clock.ts";
import { clientRequest, gatewayFor, newTag, originLog } from "./support/gateway.ts";
import { locateKeyRecord, readKeyRecord, storedRows } from "./support/key-records.ts";

const config: Omit<ConfigInput, "origin"> = {
  routes: [
    { name: "orders", path: "/orders" },
    { name: "short", path: "/short", ttlSeconds: 60 },
  ],
};
const send = gatewayFor(config);

describe("expiry", () => {
  it("keeps a record for 24 h by default and advertises the expiry", async () => {
    const tag = newTag();
    const before = Date.now();
    const first = await send(clientRequest("/orders", { tag, key: "ttl-default", json: {} }));
    const expires = Date.parse(first.headers.get("idempotency-expires") ?? "");
    // HTTP dates have second precision.
    expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 86_400_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 86_400_000);
    const location = await locateKeyRecord(config, "orders", "ttl-default");
    const record = await readKeyRecord(location);
    expect(Math.floor((record?.expiresAt ?? 0) / 1000) * 1000).toBe(expires);
    // The alarm comes when the record's expiry bucket is dropped: the end of the hour it expires in.
    const alarm = await runInDurableObject(location.stub, (_instance, state) => state.storage.getAlarm());
    expect(alarm).toBe(droppedAt(record?.expiresAt ?? 0));
    expect((alarm ?? 0) - (record?.expiresAt ?? 0)).toBeLessThanOrEqual(EXPIRY_BUCKET_MS);
  });

  it("deletes the record when the alarm fires, and the key then runs as a new request", async () => {
    const tag = newTag();
    await send(clientRequest("/short", { tag, key: "ttl-1", json: {} }));
    const location = await locateKeyRecord(config, "short", "ttl-1");
    const { stub } = location;
    // Past the end of the record's expiry bucket; then let the alarm do its job.
    advanceClockPast(droppedAt((await readKeyRecord(location))?.expiresAt ?? 0));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // Nothing left: the object's storage is dropped entirely, alarm included.
    const left = await runInDurableObject(stub, async (_instance, state) => ({
      tables: state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name GLOB 'records_*' OR name = 'idem_schema'").toArray().length,
      alarm: await state.storage.getAlarm(),
    }));
    expect(left).toEqual({ tables: 0, alarm: null });
    const again = await send(clientRequest("/short", { tag, key: "ttl-1", json: {} }));
    expect(again.headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(2);
    await runInDurableObject(stub, (_instance, state) => state.storage.deleteAlarm());
  });

  it("deletes a record a replay has just served (from the object's memory) when the alarm fires", async () => {
    const tag = newTag();
    await send(clientRequest("/short", { tag, key: "ttl-replayed", json: {} }));
    const replayed = await send(clientRequest("/short", { tag, key: "ttl-replayed", json: {} }));
    expect(replayed.headers.get("idempotent-replayed")).toBe("true");
    const location = await locateKeyRecord(config, "short", "ttl-replayed");
    const { stub } = location;
    advanceClockPast(droppedAt((await readKeyRecord(location))?.expiresAt ?? 0));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const again = await send(clientRequest("/short", { tag, key: "ttl-replayed", json: {} }));
    expect(again.headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(2);
    await runInDurableObject(stub, (_instance, state) => state.storage.deleteAlarm());
  });

  it("never replays a record past its expiry, even before the alarm has run", async () => {
    const tag = newTag();
    await send(clientRequest("/short", { tag, key: "ttl-late", json: {} }));
    const location = await locateKeyRecord(config, "short", "ttl-late");
    const { stub } = location;
    const expired = await readKeyRecord(location);
    // Past its expiry, before its bucket is due to be dropped.
    advanceClockPast(expired?.expiresAt ?? 0);
    expect(Date.now()).toBeLessThan(droppedAt(expired?.expiresAt ?? 0));
    const again = await send(clientRequest("/short", { tag, key: "ttl-late", json: {} }));
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(2);
    // The late alarm finds the fresh record unexpired and keeps it.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (_instance, state) => storedRows(state).length)).toBe(1);
    const replay = await send(clientRequest("/short", { tag, key: "ttl-late", json: {} }));
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    await runInDurableObject(stub, (_instance, state) => state.storage.deleteAlarm());
  });
});
