import { describe, expect, it } from "vitest";
import { startOrdersOrigin } from "../../demo/orders-origin.ts";
import { TEST_CALLER } from "../support/caller.ts";
import { useBundledStack } from "./support/stack.ts";

const stack = useBundledStack({ origin: startOrdersOrigin, routes: [{ name: "create-order", path: "/orders" }] });

describe("the bundled Worker, from Node, in front of a real origin", () => {
  it("executes a keyed POST once and replays it to the retry", async () => {
    const send = () =>
      fetch(new URL("/orders", stack().worker.url), {
        method: "POST",
        headers: { authorization: TEST_CALLER, "idempotency-key": "e2e-1", "content-type": "application/json", "demo-tag": "e2e-1" },
        body: JSON.stringify({ item: "lamp" }),
      });
    const first = await send();
    const retry = await send();
    expect(first.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.text()).toBe(await first.text());
    expect(stack().origin.received.filter((r) => r.tag === "e2e-1")).toHaveLength(1);
  });

  it("replays a gzip-encoded answer over HTTP as a valid gzip response", async () => {
    const send = () =>
      fetch(new URL("/orders", stack().worker.url), {
        method: "POST",
        headers: { authorization: TEST_CALLER, "idempotency-key": "e2e-gzip", "demo-gzip": "1", "demo-bytes": "50000", "accept-encoding": "gzip" },
      });
    const first = await send();
    expect(await first.text()).toBe("x".repeat(50000));
    const retry = await send();
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.headers.get("content-encoding")).toBe("gzip");
    expect(await retry.text()).toBe("x".repeat(50000));
  });
});
