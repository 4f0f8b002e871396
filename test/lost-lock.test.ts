import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ConfigInput } from "../src/config/schema.ts";
import { RecordStore } from "../src/objects/record-store.ts";
import { requestFingerprint } from "../src/plan/fingerprint.ts";
import { RequestFields } from "../src/request/request-fields.ts";
import { clientRequest, gatewayFor, newTag, originLog } from "./support/gateway.ts";
import { locateKeyRecord, readKeyRecord } from "./support/key-records.ts";

const config: Omit<ConfigInput, "origin"> = {
  routes: [
    { name: "orders", path: "/orders" },
    { name: "idempotent-orders", path: "/idempotent-orders", onUnknownOutcome: "release" },
  ],
};
const send = gatewayFor(config);

/** Leaves an in-flight record as a crashed instance would: owned by an instance that no longer exists. */
async function orphanRecord(key: string, lockExpiresAt: number, route = "orders"): Promise<DurableObjectStub> {
  const { stub, id } = await locateKeyRecord(config, route, key);
  const emptyJsonRequest = new RequestFields(
    new URL(`https://idem.test/${route}`),
    new Headers({ "content-type": "application/json" }),
    new TextEncoder().encode("{}"),
  );
  const fingerprint = await requestFingerprint("POST", emptyJsonRequest, []);
  await runInDurableObject(stub, (_instance, state) => {
    new RecordStore(state.storage).insertInFlight({
      id,
      kind: "key",
      route,
      fingerprint,
      createdAt: Date.now() - 1000,
      expiresAt: Date.now() + 86_400_000,
      lockExpiresAt,
    });
  });
  return stub;
}

describe("lost locks", () => {
  it("answers 409 with the time left on the lock while a dead owner's record is locked", async () => {
    const tag = newTag();
    await orphanRecord("lost-1", Date.now() + 20_000);
    const retry = await send(clientRequest("/orders", { tag, key: "lost-1", json: {} }));
    expect(retry.status).toBe(409);
    const retryAfter = Number(retry.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(15);
    expect(retryAfter).toBeLessThanOrEqual(20);
    expect(await originLog(tag)).toHaveLength(0);
  });

  it("once the dead owner's lock has expired, remembers the outcome as unknown: the retry is told so and nothing runs", async () => {
    const tag = newTag();
    await orphanRecord("lost-2", Date.now() - 1);
    const retry = await send(clientRequest("/orders", { tag, key: "lost-2", json: {} }));
    expect(retry.status).toBe(502);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.json()).toMatchObject({ type: "https://idem.dev/problems/outcome-unknown", failure: "object-lost" });
    const again = await send(clientRequest("/orders", { tag, key: "lost-2", json: {} }));
    expect(again.status).toBe(502);
    expect(await originLog(tag)).toHaveLength(0);
    expect(await readKeyRecord(await locateKeyRecord(config, "orders", "lost-2"))).toMatchObject({
      state: "unknown",
      lockExpiresAt: null,
      failure: { kind: "object-lost" },
    });
  });

  it("on a route with onUnknownOutcome = release, lets a retry execute once the lock has expired, and then replays it", async () => {
    const tag = newTag();
    const stub = await orphanRecord("lost-3", Date.now() - 1, "idempotent-orders");
    const retry = await send(clientRequest("/idempotent-orders", { tag, key: "lost-3", json: {} }));
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    const again = await send(clientRequest("/idempotent-orders", { tag, key: "lost-3", json: {} }));
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await originLog(tag)).toHaveLength(1);
    const states = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql
        .exec<{ state: string }>("SELECT state FROM records")
        .toArray()
        .map((r) => r.state),
    );
    expect(states).toEqual(["completed"]);
  });
});
