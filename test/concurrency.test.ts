import { describe, expect, it } from "vitest";
import { problemType } from "../src/errors/problem-docs.ts";
import { clientRequest, gatewayFor, newTag, originLog, originReceived } from "./support/gateway.ts";

const send = gatewayFor({
  routes: [
    { name: "wait", path: "/orders" },
    { name: "short-wait", path: "/short/*", waitTimeoutMs: 200 },
    { name: "conflict", path: "/conflict/*", concurrency: "conflict" },
  ],
});

describe("concurrent requests with one key", () => {
  it("executes 50 concurrent requests once and gives all 50 byte-identical bodies", async () => {
    const tag = newTag();
    const requests = Array.from({ length: 50 }, () =>
      send(clientRequest("/orders", { tag, key: "storm-1", json: { item: "chair" }, headers: { "demo-delay": "200" } })),
    );
    const responses = await Promise.all(requests);
    const bodies = await Promise.all(responses.map((r) => r.text()));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(201));
    expect(new Set(bodies).size).toBe(1);
    expect(responses.filter((r) => r.headers.get("idempotent-replayed") === "true")).toHaveLength(49);
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("answers 409 with Retry-After when the first is still in flight after waitTimeoutMs", async () => {
    const tag = newTag();
    const slow = send(clientRequest("/short/a", { tag, key: "slow-1", json: {}, headers: { "demo-delay": "1500" } }));
    await originReceived(tag, 1);
    const waiter = await send(clientRequest("/short/a", { tag, key: "slow-1", json: {} }));
    expect(waiter.status).toBe(409);
    expect(waiter.headers.get("retry-after")).toBe("1");
    expect((await waiter.json<{ type: string }>()).type).toBe(problemType("in-progress"));
    expect((await slow).status).toBe(200);
    const retry = await send(clientRequest("/short/a", { tag, key: "slow-1", json: {} }));
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("answers 409 at once in conflict mode, and the first completes", async () => {
    const tag = newTag();
    const slow = send(clientRequest("/conflict/a", { tag, key: "c-1", json: {}, headers: { "demo-delay": "500" } }));
    await originReceived(tag, 1);
    const second = await send(clientRequest("/conflict/a", { tag, key: "c-1", json: {} }));
    expect(second.status).toBe(409);
    expect(second.headers.get("retry-after")).not.toBeNull();
    expect((await slow).status).toBe(200);
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("answers 422 at once to a different request with the key in flight", async () => {
    const tag = newTag();
    const slow = send(clientRequest("/orders", { tag, key: "mm-flight", json: { a: 1 }, headers: { "demo-delay": "500" } }));
    await originReceived(tag, 1);
    const other = await send(clientRequest("/orders", { tag, key: "mm-flight", json: { a: 2 } }));
    expect(other.status).toBe(422);
    expect((await slow).status).toBe(201);
  });
});
