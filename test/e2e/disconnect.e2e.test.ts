import { describe, expect, it } from "vitest";
import { startOrdersOrigin } from "../../demo/orders-origin.ts";
import { TEST_CALLER } from "../support/caller.ts";
import { eventually } from "../support/eventually.ts";
import { useBundledStack } from "./support/stack.ts";

const stack = useBundledStack({ origin: startOrdersOrigin, routes: [{ name: "create-order", path: "/orders" }] });

describe("client disconnect", () => {
  it("completes the origin exchange after the client has gone, and replays it to the retry", async () => {
    const tag = "disconnect-1";
    const request = (signal?: AbortSignal) =>
      fetch(new URL("/orders", stack().worker.url), {
        method: "POST",
        headers: {
          authorization: TEST_CALLER,
          "idempotency-key": "gone-1",
          "content-type": "application/json",
          "demo-tag": tag,
          "demo-delay": "400",
        },
        body: JSON.stringify({ item: "desk" }),
        signal,
      });
    const client = new AbortController();
    const abandoned = request(client.signal).catch((error: Error) => error);
    const seen = () => stack().origin.received.filter((r) => r.tag === tag);
    await eventually(() => seen()[0]);
    client.abort();
    expect(await abandoned).toBeInstanceOf(Error);

    // The origin finishes its work although nobody is listening any more.
    await eventually(() => seen()[0]?.endedAt);
    const retry = await request();
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    const order = (await retry.json()) as { item: string };
    expect(order.item).toBe("desk");
    expect(seen()).toHaveLength(1);
  });
});
