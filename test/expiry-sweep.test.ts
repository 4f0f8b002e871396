/**
 * An object that holds many records (a shard) sweeps expired records at most
 * once a minute, instead of waking once per record: every wake is a billed
 * Durable Object request (docs/scaling.md, "Alarms").
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { EXPIRY_SWEEP_MS } from "../src/record/rules.ts";
import { eventually } from "./support/eventually.ts";
import { clientRequest, gatewayFor, newTag } from "./support/gateway.ts";
import { locateKeyRecord, readKeyRecord } from "./support/key-records.ts";

const config = {
  originTimeoutMs: 500,
  defaults: { lockTimeoutMs: 600 },
  keyspace: { strategy: "sharded" as const, shards: 1 },
  routes: [
    { name: "short", path: "/short/*", ttlSeconds: 1 },
    { name: "medium", path: "/medium/*", ttlSeconds: 30 },
  ],
};
const send = gatewayFor(config);

describe("expiry sweeps", () => {
  it("after a sweep, the next one waits a minute even when a record expires sooner, and that record still replays until then", async () => {
    const tag = newTag();
    const short = await locateKeyRecord(config, "short", `sweep-short-${tag}`);
    const medium = await locateKeyRecord(config, "medium", `sweep-medium-${tag}`);
    await send(clientRequest("/short/a", { tag, key: `sweep-short-${tag}`, json: {} }));
    await send(clientRequest("/medium/a", { tag, key: `sweep-medium-${tag}`, json: {} }));
    const shortRecord = await readKeyRecord(short);
    const mediumRecord = await readKeyRecord(medium);
    await eventually(() => (Date.now() > (shortRecord?.expiresAt ?? 0) ? true : undefined), {
      intervalMs: 50,
      waitingFor: "the short record to expire",
    });

    // Runs the sweep now, unless the runtime already delivered it on time.
    await runDurableObjectAlarm(short.stub);
    const sweptAt = Date.now();
    expect(await readKeyRecord(short)).toBeUndefined();
    expect(await readKeyRecord(medium)).toEqual(mediumRecord);
    const next = await runInDurableObject(short.stub, (_instance, state) => state.storage.getAlarm());
    expect(next).toBeGreaterThan(mediumRecord?.expiresAt ?? Infinity);
    expect(next).toBeLessThanOrEqual(sweptAt + EXPIRY_SWEEP_MS);

    const replay = await send(clientRequest("/medium/a", { tag, key: `sweep-medium-${tag}`, json: {} }));
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
  });
});
