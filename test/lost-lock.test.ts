import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/load.ts";
import type { ConfigInput } from "../src/config/schema.ts";
import type { KeyObject } from "../src/objects/key-object.ts";
import { RecordStore } from "../src/objects/record-store.ts";
import type { OriginFailure, OriginResponse } from "../src/origin/exchange.ts";
import { requestFingerprint } from "../src/plan/fingerprint.ts";
import { OBJECT_PROTOCOL, type Reservation, type ReserveCall } from "../src/protocol/messages.ts";
import { RequestFields } from "../src/request/request-fields.ts";
import { clientRequest, gatewayFor, newTag, originLog } from "./support/gateway.ts";
import { locateKeyRecord, readKeyRecord, storedRows } from "./support/key-records.ts";

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
    expect(await retry.json()).toMatchObject({ type: "urn:idem:problem:outcome-unknown", failure: "object-lost" });
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
    const states = await runInDurableObject(stub, (_instance, state) => storedRows(state).map((r) => r.state));
    expect(states).toEqual(["completed"]);
  });

  describe("an attempt's answer that comes back after its lock ran out", () => {
    const LOCK_MS = 50;

    /** A bulk call's record as its runner reserves it, with a lock short enough to run out within the test. */
    async function reservable(route: string, key: string): Promise<{ stub: DurableObjectStub<KeyObject>; call: ReserveCall }> {
      const { stub, id } = await locateKeyRecord(config, route, key);
      const record = loadConfig({ origin: env.ORIGIN_URL, ...config }).routes.find((r) => r.name === route)?.record;
      if (!record) throw new Error(`no route named ${route}`);
      return { stub, call: { protocol: OBJECT_PROTOCOL, id, fingerprint: "same-request", policy: { ...record, lockTimeoutMs: LOCK_MS } } };
    }
    const reserve = (stub: DurableObjectStub<KeyObject>, call: ReserveCall) => runInDurableObject(stub, (object) => object.reserve(call));
    const lockRunsOut = () => new Promise((resolve) => setTimeout(resolve, LOCK_MS * 2));
    const answer = (text: string): OriginResponse => ({
      ok: true,
      status: 201,
      headers: [["content-type", "text/plain"]],
      storableHeaders: [["content-type", "text/plain"]],
      body: new TextEncoder().encode(text),
      originMs: 1,
    });
    const neverBegan: OriginFailure = { ok: false, end: "never-began", kind: "origin-unreachable", detail: "connection refused", originMs: 1 };

    it("a late failure that never reached the origin leaves the retry's record in flight, so no third attempt runs beside it", async () => {
      const { stub, call } = await reservable("idempotent-orders", "late-1");
      const first = (await reserve(stub, call)) as Reservation;
      expect(first.reserved).toBe(true);
      await lockRunsOut();
      // onUnknownOutcome = release: the retry takes the key over and runs the request again.
      const retry = (await reserve(stub, call)) as Reservation;
      expect(retry.reserved).toBe(true);
      await runInDurableObject(stub, (object) => object.fail(call, first, neverBegan));
      // The retry is still at the origin: a third copy must not be sent beside it.
      expect(await reserve(stub, { ...call, policy: { ...call.policy, concurrency: "conflict" } })).toMatchObject({ kind: "in-progress" });
      expect(await readKeyRecord({ stub, id: call.id })).toMatchObject({ state: "in_flight", lockExpiresAt: retry.lockExpiresAt });
    });

    it("a late answer is handed back but not stored over the retry's record; the retry's own answer is what replays", async () => {
      const { stub, call } = await reservable("idempotent-orders", "late-2");
      const first = (await reserve(stub, call)) as Reservation;
      await lockRunsOut();
      const retry = (await reserve(stub, call)) as Reservation;
      const late = await runInDurableObject(stub, (object) => object.complete(call, first, answer("first")));
      expect(late).toMatchObject({ type: "response", outcome: "forwarded", status: 201, expiresAt: undefined });
      expect(await readKeyRecord({ stub, id: call.id })).toMatchObject({ state: "in_flight", lockExpiresAt: retry.lockExpiresAt });
      await runInDurableObject(stub, (object) => object.complete(call, retry, answer("retry")));
      const replay = await reserve(stub, call);
      expect(replay).toMatchObject({ type: "response", outcome: "replayed", status: 201 });
      expect(new TextDecoder().decode((replay as { body: Uint8Array }).body)).toBe("retry");
    });

    it("a late answer is stored when no retry took the record over meanwhile", async () => {
      const { stub, call } = await reservable("orders", "late-3");
      const first = (await reserve(stub, call)) as Reservation;
      await lockRunsOut();
      await runInDurableObject(stub, (object) => object.complete(call, first, answer("first")));
      expect(await readKeyRecord({ stub, id: call.id })).toMatchObject({ state: "completed", status: 201 });
    });
  });
});
