import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ConfigInput } from "../src/config/schema.ts";
import { clientRequest, gatewayFor, newTag, originLog } from "./support/gateway.ts";
import { locateKeyRecord } from "./support/key-records.ts";

const config: Omit<ConfigInput, "origin"> = {
  routes: [
    { name: "orders", path: "/orders" },
    { name: "short", path: "/short", ttlSeconds: 60 },
  ],
};
const send = gatewayFor(config);

function rowCount(state: DurableObjectState): number {
  return state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM records").one().n;
}

describe("expiry", () => {
  it("keeps a record for 24 h by default and advertises the expiry", async () => {
    const tag = newTag();
    const before = Date.now();
    const first = await send(clientRequest("/orders", { tag, key: "ttl-default", json: {} }));
    const expires = Date.parse(first.headers.get("idempotency-expires") ?? "");
    // HTTP dates have second precision.
    expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 86_400_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 86_400_000);
    const { stub } = await locateKeyRecord(config, "orders", "ttl-default");
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(Math.floor((alarm ?? 0) / 1000) * 1000).toBe(expires);
  });

  it("deletes the record when the alarm fires, and the key then runs as a new request", async () => {
    const tag = newTag();
    await send(clientRequest("/short", { tag, key: "ttl-1", json: {} }));
    const { stub } = await locateKeyRecord(config, "short", "ttl-1");
    // Pretend the 60 s have passed, then let the alarm do its job.
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE records SET expires_at = ?", Date.now() - 1);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // Nothing left: the object's storage is dropped entirely, alarm included.
    const left = await runInDurableObject(stub, async (_instance, state) => ({
      tables: state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'records'").toArray().length,
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
    const { stub } = await locateKeyRecord(config, "short", "ttl-replayed");
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE records SET expires_at = ?", Date.now() - 1);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const again = await send(clientRequest("/short", { tag, key: "ttl-replayed", json: {} }));
    expect(again.headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(2);
    await runInDurableObject(stub, (_instance, state) => state.storage.deleteAlarm());
  });

  it("never replays a record past its expiry, even before the alarm has run", async () => {
    const tag = newTag();
    await send(clientRequest("/short", { tag, key: "ttl-late", json: {} }));
    const { stub } = await locateKeyRecord(config, "short", "ttl-late");
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE records SET expires_at = ?", Date.now() - 1);
    });
    const again = await send(clientRequest("/short", { tag, key: "ttl-late", json: {} }));
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(2);
    // The late alarm finds the fresh record unexpired and keeps it.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (_instance, state) => rowCount(state))).toBe(1);
    const replay = await send(clientRequest("/short", { tag, key: "ttl-late", json: {} }));
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    await runInDurableObject(stub, (_instance, state) => state.storage.deleteAlarm());
  });
});
