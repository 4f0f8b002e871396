/**
 * Issue 5: the client gives up while the origin is still working. Through the
 * real bundled Worker over HTTP: the client's fetch is aborted after the
 * origin has received the request; the KeyObject, which owns the origin
 * exchange, finishes it and stores the answer, and the retry replays it.
 */
import { describe, expect, it } from "vitest";
import { startOrdersOrigin } from "../../demo/orders-origin.ts";
import { TEST_CALLER } from "../support/caller.ts";
import { eventually } from "../support/eventually.ts";
import { useBundledStack } from "./support/stack.ts";

const stack = useBundledStack({ origin: startOrdersOrigin, routes: [{ name: "create-order", path: "/orders" }] });

function order(tag: string, extra: Record<string, string>, signal?: AbortSignal): Promise<Response> {
  return fetch(new URL("/orders", stack().worker.url), {
    method: "POST",
    headers: { authorization: TEST_CALLER, "idempotency-key": `abort-${tag}`, "content-type": "application/json", "demo-tag": tag, ...extra },
    body: JSON.stringify({ item: "chair" }),
    signal,
  });
}

describe("the client aborts mid-flight", () => {
  it("the origin executes once, and the retry replays its answer", async () => {
    const tag = "client-abort-1";
    const controller = new AbortController();
    const abandoned = order(tag, { "demo-delay": "1000" }, controller.signal);
    const received = await eventually(() => stack().origin.received.find((r) => r.tag === tag));

    controller.abort();
    await expect(abandoned).rejects.toThrow();

    // The origin still answers in full: its connection is the object's, not the client's.
    await eventually(() => received.endedAt);
    const retry = await order(tag, {});
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    const replayed = (await retry.json()) as { id: string; item: string };
    expect(replayed.item).toBe("chair");
    expect(stack().origin.received.filter((r) => r.tag === tag)).toHaveLength(1);

    const again = await order(tag, {});
    expect(((await again.json()) as { id: string }).id).toBe(replayed.id);
    expect(stack().origin.received.filter((r) => r.tag === tag)).toHaveLength(1);
  });
});
