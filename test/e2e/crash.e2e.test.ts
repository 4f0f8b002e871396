/**
 * Issue 11: the runtime's process dies while the origin is working on a
 * request: workerd is killed (SIGKILL, no drain) under the bundled Worker,
 * as a crash, a runtime update or a network partition would take the object
 * in production. Miniflare restarts it on the same persisted Durable Object
 * storage. The in-flight record survives; its owner does not. Retries get
 * 409 until the lock runs out, and then `outcome-unknown`: the origin, which
 * completed the first request, never executes it again.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type DemoOrigin, startOrdersOrigin } from "../../demo/orders-origin.ts";
import { type BundledWorker, startBundledWorker } from "../../harness/bundled-worker.ts";
import { TEST_CALLER } from "../support/caller.ts";
import { eventually } from "../support/eventually.ts";

const ADMIN_TOKEN = "crash-test-admin-token-0123456789abcdef";

let origin: DemoOrigin;
let worker: BundledWorker;
let storage: string;

beforeAll(async () => {
  origin = await startOrdersOrigin();
  storage = mkdtempSync(join(tmpdir(), "idem-crash-"));
  worker = await startBundledWorker({
    bundle: inject("bundlePath"),
    config: {
      origin: origin.url,
      originTimeoutMs: 3_000,
      defaults: { lockTimeoutMs: 5_000 },
      routes: [
        { name: "orders", path: "/orders" },
        { name: "idempotent-orders", path: "/idempotent/orders", onUnknownOutcome: "release" },
      ],
    },
    bindings: { ADMIN_TOKEN },
    persistTo: storage,
  });
});

afterAll(async () => {
  await worker?.dispose();
  await origin?.close();
  rmSync(storage, { recursive: true, force: true });
});

function send(path: string, key: string, tag: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(new URL(path, worker.url), {
    method: "POST",
    headers: { authorization: TEST_CALLER, "idempotency-key": key, "content-type": "application/json", "demo-tag": tag, ...headers },
    body: JSON.stringify({ item: "chair" }),
  });
}

interface RecordView {
  state: string;
  running: boolean;
  lockExpiresAt: string | null;
  outcome?: { failure: string };
}

async function recordOf(route: string, key: string): Promise<RecordView> {
  const response = await fetch(new URL("/__idem/records/lookup", worker.url), {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ route, key, scope: { "header:Authorization": TEST_CALLER } }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as RecordView;
}

/** Sends the first request, kills the runtime once the origin has it, and waits for the origin to finish its work. */
async function crashMidExchange(path: string, key: string, tag: string): Promise<void> {
  const first = send(path, key, tag, { "demo-delay": "1500" }).then(
    (response) => response.status,
    (error: unknown) => error,
  );
  const received = await eventually(() => origin.received.find((r) => r.tag === tag));
  await worker.crash();
  // The client's connection died with the runtime: it got no answer.
  expect(await first).toBeInstanceOf(Error);
  // The origin completed the request all the same; its answer went nowhere.
  await eventually(() => received.endedAt);
}

const executions = (tag: string) => origin.received.filter((r) => r.tag === tag).length;

describe("the runtime's process is killed while the origin works on a request", () => {
  it("restarts on the same storage: 409 while the dead owner's lock holds, then outcome-unknown; the origin executed once", async () => {
    const tag = crypto.randomUUID();
    const key = `crash-${tag}`;
    await crashMidExchange("/orders", key, tag);

    const orphan = await recordOf("orders", key);
    expect(orphan).toMatchObject({ state: "in-flight", running: false });
    if (Date.now() < Date.parse(orphan.lockExpiresAt ?? "") - 1_000) {
      const early = await send("/orders", key, tag);
      expect(early.status).toBe(409);
      expect(Number(early.headers.get("retry-after"))).toBeGreaterThan(0);
    }

    const retry = await eventually(
      async () => {
        const response = await send("/orders", key, tag);
        return response.status === 409 ? undefined : response;
      },
      { limitMs: 20_000, intervalMs: 200 },
    );
    expect(retry.status).toBe(502);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.json()).toMatchObject({ type: "urn:idem:problem:outcome-unknown", failure: "object-lost" });
    expect(await recordOf("orders", key)).toMatchObject({ state: "outcome-unknown", running: false, outcome: { failure: "object-lost" } });

    const again = await send("/orders", key, tag);
    expect(again.status).toBe(502);
    expect(executions(tag)).toBe(1);
  });

  it('on a route with onUnknownOutcome = "release", the retry after the lock runs out executes again (the opt-in)', async () => {
    const tag = crypto.randomUUID();
    const key = `crash-release-${tag}`;
    await crashMidExchange("/idempotent/orders", key, tag);
    const retry = await eventually(
      async () => {
        const response = await send("/idempotent/orders", key, tag);
        return response.status === 409 ? undefined : response;
      },
      { limitMs: 20_000, intervalMs: 200 },
    );
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(executions(tag)).toBe(2);
  });
});
