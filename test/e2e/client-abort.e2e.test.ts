/**
 * Issue 5: the client gives up while the origin is still working. Through the
 * real bundled Worker over HTTP: the client's fetch is aborted after the
 * origin has received the request; the KeyObject, which owns the origin
 * exchange, finishes it and stores the answer, and the retry replays it.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type DemoOrigin, startOrdersOrigin } from "../../demo/orders-origin.ts";
import { type BundledWorker, startBundledWorker } from "../../harness/bundled-worker.ts";

let origin: DemoOrigin;
let worker: BundledWorker;

beforeAll(async () => {
  origin = await startOrdersOrigin();
  worker = await startBundledWorker({
    bundle: inject("bundlePath"),
    config: { origin: origin.url, routes: [{ name: "create-order", path: "/orders" }] },
  });
});

afterAll(async () => {
  await worker?.dispose();
  await origin?.close();
});

/** Polls `check` every 20 ms until it returns a value, for at most 20 s. */
async function until<T>(check: () => T | undefined): Promise<T> {
  for (let waited = 0; waited < 20_000; waited += 20) {
    const value = check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("gave up waiting");
}

function order(tag: string, extra: Record<string, string>, signal?: AbortSignal): Promise<Response> {
  return fetch(new URL("/orders", worker.url), {
    method: "POST",
    headers: { "idempotency-key": `abort-${tag}`, "content-type": "application/json", "demo-tag": tag, ...extra },
    body: JSON.stringify({ item: "chair" }),
    signal,
  });
}

describe("the client aborts mid-flight", () => {
  it("the origin executes once, and the retry replays its answer", async () => {
    const tag = "client-abort-1";
    const controller = new AbortController();
    const abandoned = order(tag, { "demo-delay": "1000" }, controller.signal);
    const received = await until(() => origin.received.find((r) => r.tag === tag));

    controller.abort();
    await expect(abandoned).rejects.toThrow();

    // The origin still answers in full: its connection is the object's, not the client's.
    await until(() => received.endedAt);
    const retry = await order(tag, {});
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    const replayed = (await retry.json()) as { id: string; item: string };
    expect(replayed.item).toBe("chair");
    expect(origin.received.filter((r) => r.tag === tag)).toHaveLength(1);

    const again = await order(tag, {});
    expect(((await again.json()) as { id: string }).id).toBe(replayed.id);
    expect(origin.received.filter((r) => r.tag === tag)).toHaveLength(1);
  });
});
