import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ConfigInput } from "../../src/config/schema.ts";
import { clientRequest, gatewayFor, newTag, originLog, originReceived } from "../support/gateway.ts";
import { locateKeyRecord, readKeyRecord } from "../support/key-records.ts";

// A keyed edit can wait in its document's queue past its record's TTL (here 2.1 s: the lock, which the
// TTL never undercuts). The record must still hold the key while the request runs: a retry waits for it
// and never runs beside it. Once the first has answered, its record is past its TTL, so the retry is a
// new request (as after any expiry) and runs after it.
const config: Omit<ConfigInput, "origin"> = {
  originTimeoutMs: 2000,
  routes: [
    {
      name: "edit",
      path: "/echo/documents/:id",
      ttlSeconds: 1,
      lockTimeoutMs: 2100,
      waitTimeoutMs: 3000,
      document: { id: "path:id", editTimeoutMs: 10_000 },
    },
  ],
};
const send = gatewayFor(config);

describe("a keyed request queued behind a slow edit past its TTL", () => {
  it("keeps its key while it runs: the alarm leaves it alone and a retry never runs beside it", async () => {
    const tag = newTag();
    const slow = send(clientRequest("/echo/documents/d-1", { tag, json: { n: 0 }, headers: { "demo-delay": "1900" } }));
    await originReceived(tag, 1);
    const slowly = { "demo-delay": "800" };
    const keyed = send(clientRequest("/echo/documents/d-1", { tag, key: "queued", json: { n: 1 }, headers: slowly }));
    await new Promise((r) => setTimeout(r, 2300));
    // The record's TTL has passed while it waits in the queue; the alarm must not take it.
    const location = await locateKeyRecord(config, "edit", "queued");
    await runDurableObjectAlarm(location.stub);
    expect(await readKeyRecord(location)).toMatchObject({ state: "in_flight" });
    const retry = send(clientRequest("/echo/documents/d-1", { tag, key: "queued", json: { n: 1 }, headers: slowly }));
    const [first, second] = await Promise.all([keyed, retry]);
    expect((await slow).status).toBe(200);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    const runs = (await originLog(tag)).filter((r) => r.body.includes('"n":1'));
    expect(runs).toHaveLength(2);
    // The retry waited for the first attempt to end before it ran.
    expect(runs[1]?.startedAt).toBeGreaterThanOrEqual(runs[0]?.endedAt ?? Number.POSITIVE_INFINITY);
  });
});
