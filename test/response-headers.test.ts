import { describe, expect, it } from "vitest";
import { clientRequest, gatewayFor, newTag, originLog, originReceived } from "./support/gateway.ts";

const HOUR_MS = 3_600_000;

const send = gatewayFor({
  defaults: { ttlSeconds: 3600 },
  routes: [
    { name: "orders", path: "/orders" },
    { name: "single-use", path: "/single-use", mode: "reject" },
    { name: "conflicting", path: "/conflicting", concurrency: "conflict" },
  ],
});

const SERVER_TIMING_WITH_ORIGIN = /^idem;dur=\d+, origin;dur=\d+$/;
const SERVER_TIMING_GATEWAY_ONLY = /^idem;dur=\d+$/;

function expiresOf(response: Response): number {
  const value = response.headers.get("idempotency-expires");
  expect(value).not.toBeNull();
  return Date.parse(value as string);
}

describe("Server-Timing", () => {
  it("splits a forwarded request's time between Idem and the origin, and a replay's is Idem's alone", async () => {
    const tag = newTag();
    const first = await send(clientRequest("/orders", { tag, key: "st-1", json: {} }));
    const replay = await send(clientRequest("/orders", { tag, key: "st-1", json: {} }));
    expect(first.headers.get("server-timing")).toMatch(SERVER_TIMING_WITH_ORIGIN);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.headers.get("server-timing")).toMatch(SERVER_TIMING_GATEWAY_ONLY);
  });

  it("passes the origin's own metrics to the first caller, but never replays them", async () => {
    const tag = newTag();
    const headers = { "demo-server-timing": "db;dur=7" };
    const first = await send(clientRequest("/orders", { tag, key: "st-2", json: {}, headers }));
    const replay = await send(clientRequest("/orders", { tag, key: "st-2", json: {}, headers }));
    expect(first.headers.get("server-timing")).toContain("db;dur=7");
    expect(first.headers.get("server-timing")).toContain("origin;dur=");
    expect(replay.headers.get("server-timing")).toMatch(SERVER_TIMING_GATEWAY_ONLY);
  });

  it("is on requests that pass through and on Idem's own errors", async () => {
    const passed = await send(clientRequest("/elsewhere", { tag: newTag(), method: "GET" }));
    expect(passed.headers.get("server-timing")).toMatch(SERVER_TIMING_WITH_ORIGIN);
    const refused = await send(clientRequest("/orders", { tag: newTag(), key: "two words", json: {} }));
    expect(refused.status).toBe(400);
    expect(refused.headers.get("server-timing")).toMatch(SERVER_TIMING_GATEWAY_ONLY);
  });
});

describe("Idempotency-Expires", () => {
  it("tells the first caller and every retry until when the key is remembered", async () => {
    const tag = newTag();
    const before = Date.now();
    const first = await send(clientRequest("/orders", { tag, key: "exp-1", json: {} }));
    const after = Date.now();
    const expires = expiresOf(first);
    // An HTTP date has whole seconds.
    expect(expires).toBeGreaterThanOrEqual(Math.floor((before + HOUR_MS) / 1000) * 1000);
    expect(expires).toBeLessThanOrEqual(after + HOUR_MS);
    const replay = await send(clientRequest("/orders", { tag, key: "exp-1", json: {} }));
    expect(expiresOf(replay)).toBe(expires);
  });

  it("tells a caller that reuses the key for another request, or reuses a single-use key, when it frees up", async () => {
    const tag = newTag();
    const first = await send(clientRequest("/orders", { tag, key: "exp-2", json: { n: 1 } }));
    const mismatch = await send(clientRequest("/orders", { tag, key: "exp-2", json: { n: 2 } }));
    expect(mismatch.status).toBe(422);
    expect(expiresOf(mismatch)).toBe(expiresOf(first));

    const once = await send(clientRequest("/single-use", { tag, key: "exp-3", json: {} }));
    const again = await send(clientRequest("/single-use", { tag, key: "exp-3", json: {} }));
    expect(again.status).toBe(409);
    expect(expiresOf(again)).toBe(expiresOf(once));
  });

  it("is absent when nothing is remembered: no key, a status never stored, or a request still in flight", async () => {
    const tag = newTag();
    const noKey = await send(clientRequest("/orders", { tag, json: {} }));
    expect(noKey.headers.get("idempotency-expires")).toBeNull();

    const limited = await send(clientRequest("/orders", { tag, key: "exp-429", json: {}, headers: { "demo-status": "429" } }));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("idempotency-expires")).toBeNull();

    const slow = { tag, key: "exp-busy", json: {}, headers: { "demo-delay": "300" } };
    const running = send(clientRequest("/conflicting", slow));
    await originReceived(tag, 3);
    const busy = await send(clientRequest("/conflicting", slow));
    expect(busy.status).toBe(409);
    expect(busy.headers.get("idempotency-expires")).toBeNull();
    await running;
    expect(await originLog(tag)).toHaveLength(3);
  });
});
