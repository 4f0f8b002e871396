/**
 * Issue 5: the KeyObject disappears while the origin is working.
 *
 * - `abortAllDurableObjects()` kills every instance at once, the way a crash
 *   or a code deploy would: the request in flight dies with it, its in-flight
 *   record is orphaned; once the lock runs out it becomes an unknown outcome
 *   (the origin may have executed the request), never a second execution.
 * - `evictDurableObject()` is graceful: it lets requests in flight drain
 *   first, so the answer is stored before the instance goes.
 */
import { abortAllDurableObjects, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eventually } from "../support/eventually.ts";
import { clientRequest, gatewayFor, newTag, originLog, originReceived } from "../support/gateway.ts";
import { locateKeyRecord, readKeyRecord } from "../support/key-records.ts";

const config = {
  originTimeoutMs: 1_500,
  defaults: { lockTimeoutMs: 3_000, waitTimeoutMs: 10_000 },
  routes: [{ name: "orders", path: "/orders" }],
};
const send = gatewayFor(config);

async function problemType(response: Response): Promise<string> {
  const problem = await response.json<{ type: string }>();
  return problem.type.replace("https://idem.dev/problems/", "");
}

describe("the object is aborted mid-flight", () => {
  it("fails the callers, then remembers the outcome as unknown once the lock runs out: nothing runs twice", async () => {
    const tag = newTag();
    const key = `abort-${tag}`;
    const location = await locateKeyRecord(config, "orders", key);
    const first = send(clientRequest("/orders", { tag, key, json: { n: 1 }, headers: { "demo-hang": "1" } }));
    await originReceived(tag, 1);
    // A second caller with the same key: it waits on the first inside the instance, or, if the abort
    // beats it there, meets the orphaned record in a new instance.
    const waiter = send(clientRequest("/orders", { tag, key, json: { n: 1 } }));

    await abortAllDurableObjects();

    // Every caller gets an error; none is handed a response that does not exist.
    const failed = await first;
    expect(failed.status).toBe(503);
    const problem = await failed.json<{ type: string; detail: string }>();
    expect(problem.type).toBe("https://idem.dev/problems/coordinator-unavailable");
    // The origin did receive it: the answer must not claim otherwise.
    expect(problem.detail).not.toContain("not forwarded");
    expect(problem.detail).toContain("may or may not have reached the origin");
    const waited = await waiter;
    expect(waited.headers.get("idempotent-replayed")).toBeNull();
    expect([
      [503, "coordinator-unavailable"],
      [409, "in-progress"],
    ]).toContainEqual([waited.status, await problemType(waited)]);
    const orphan = await readKeyRecord(location);
    expect(orphan).toMatchObject({ state: "in_flight" });

    // While the dead owner's lock holds, retries are told to come back; nothing runs at the origin.
    if (Date.now() < (orphan?.lockExpiresAt ?? 0) - 1_000) {
      const early = await send(clientRequest("/orders", { tag, key, json: { n: 1 } }));
      expect(early.status).toBe(409);
      expect(Number(early.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await problemType(early)).toBe("in-progress");
    }
    expect(await originLog(tag)).toHaveLength(1);

    // After the lock timeout, the origin may well have executed it: the retry is told the outcome is unknown.
    const retry = await eventually(
      async () => {
        const response = await send(clientRequest("/orders", { tag, key, json: { n: 1 } }));
        return response.status === 409 ? undefined : response;
      },
      { limitMs: 15_000, intervalMs: 100 },
    );
    expect(retry.status).toBe(502);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.json()).toMatchObject({ type: "https://idem.dev/problems/outcome-unknown", failure: "object-lost" });
    expect(await originLog(tag)).toHaveLength(1);

    // The record is final, owned by nobody, and still on its expiry alarm.
    expect(await readKeyRecord(location)).toMatchObject({ state: "unknown", lockExpiresAt: null, failure: { kind: "object-lost" } });
    expect(await runInDurableObject(location.stub, (_instance, state) => state.storage.getAlarm())).not.toBeNull();
    const again = await send(clientRequest("/orders", { tag, key, json: { n: 1 } }));
    expect(again.status).toBe(502);
    expect(await originLog(tag)).toHaveLength(1);
  });
});

describe("the object is evicted mid-flight", () => {
  it("finishes the request in flight first, so the retry replays it from storage in a new instance", async () => {
    const tag = newTag();
    const key = `evict-${tag}`;
    const location = await locateKeyRecord(config, "orders", key);
    const first = send(clientRequest("/orders", { tag, key, json: { n: 2 }, headers: { "demo-delay": "300" } }));
    await originReceived(tag, 1);

    await evictDurableObject(location.stub);

    const answered = await first;
    expect(answered.status).toBe(201);
    const order = await answered.json<{ id: string }>();
    expect(await readKeyRecord(location)).toMatchObject({ state: "completed", status: 201 });

    const retry = await send(clientRequest("/orders", { tag, key, json: { n: 2 } }));
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect((await retry.json<{ id: string }>()).id).toBe(order.id);
    expect(await originLog(tag)).toHaveLength(1);
  });
});
