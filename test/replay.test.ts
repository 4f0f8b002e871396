import { describe, expect, it } from "vitest";
import { problemType } from "../src/errors/problem-docs.ts";
import { clientRequest, gatewayFor, newTag, originLog, TEST_CALLER } from "./support/gateway.ts";

const send = gatewayFor({
  routes: [
    { name: "create-order", path: "/orders" },
    { name: "update-order", path: "/orders/:id", methods: ["PATCH"] },
    { name: "any", path: "/echo/*", methods: ["POST", "PATCH", "GET", "DELETE"] },
  ],
});

describe("first request and replay", () => {
  it("forwards the first request once and replays it byte for byte", async () => {
    const tag = newTag();
    const first = await send(clientRequest("/orders", { tag, key: "k-1", json: { item: "book" } }));
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const firstBody = await first.text();

    const retry = await send(clientRequest("/orders", { tag, key: "k-1", json: { item: "book" } }));
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.headers.get("content-type")).toBe("application/json");
    expect(await retry.text()).toBe(firstBody);
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("treats JSON with reordered keys as the same request", async () => {
    const tag = newTag();
    await send(clientRequest("/orders", { tag, key: "k-order", json: { a: 1, b: { c: 2, d: 3 } } }));
    const retry = await send(clientRequest("/orders", { tag, key: "k-order", json: { b: { d: 3, c: 2 }, a: 1 } }));
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("sends method, path, query, end-to-end headers and body to the origin, without hop-by-hop headers", async () => {
    const tag = newTag();
    const request = clientRequest("/echo/a/b?x=1&y=2", {
      tag,
      key: "k-fwd",
      json: { hello: "world" },
      headers: { "x-custom": "kept", "proxy-authorization": "secret", connection: "x-drop", "x-drop": "gone" },
    });
    await send(request);
    const [seen] = await originLog(tag);
    expect(seen?.method).toBe("POST");
    expect(seen?.path).toBe("/echo/a/b?x=1&y=2");
    expect(JSON.parse(seen?.body ?? "")).toEqual({ hello: "world" });
    expect(seen?.headers["x-custom"]).toBe("kept");
    expect(seen?.headers["content-type"]).toBe("application/json");
    expect(seen?.headers["proxy-authorization"]).toBeUndefined();
    expect(seen?.headers["x-drop"]).toBeUndefined();
  });

  it("replays 5xx answers like any other", async () => {
    const tag = newTag();
    const headers = { "demo-status": "500" };
    const first = await send(clientRequest("/orders", { tag, key: "k-500", json: {}, headers }));
    expect(first.status).toBe(500);
    const retry = await send(clientRequest("/orders", { tag, key: "k-500", json: {}, headers: {} }));
    expect(retry.status).toBe(500);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await originLog(tag)).toHaveLength(1);
  });

  it.each([408, 409, 425, 429])("never stores %i: the key is released and the retry executes", async (status) => {
    const tag = newTag();
    const first = await send(clientRequest("/orders", { tag, key: `k-${status}`, json: {}, headers: { "demo-status": String(status) } }));
    expect(first.status).toBe(status);
    const retry = await send(clientRequest("/orders", { tag, key: `k-${status}`, json: {} }));
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(2);
  });

  it("passes Set-Cookie to the first caller but never replays it", async () => {
    const tag = newTag();
    const first = await send(clientRequest("/orders", { tag, key: "k-cookie", json: {}, headers: { "demo-cookie": "session=abc" } }));
    expect(first.headers.get("set-cookie")).toBe("session=abc");
    const retry = await send(clientRequest("/orders", { tag, key: "k-cookie", json: {} }));
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.headers.get("set-cookie")).toBeNull();
  });

  it("replays a gzip-encoded answer as the same bytes the client first saw", async () => {
    const tag = newTag();
    const headers = { "demo-gzip": "1", "demo-bytes": "20000" };
    const first = await send(clientRequest("/orders", { tag, key: "k-gzip", json: {}, headers }));
    const firstBody = await first.text();
    expect(firstBody).toBe("x".repeat(20000));
    const retry = await send(clientRequest("/orders", { tag, key: "k-gzip", json: {} }));
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.text()).toBe(firstBody);
  });

  it("forwards requests without a key on an optional route, each time", async () => {
    const tag = newTag();
    const a = await send(clientRequest("/orders", { tag, json: {} }));
    const b = await send(clientRequest("/orders", { tag, json: {} }));
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(await a.json()).not.toEqual(await b.json());
    expect(await originLog(tag)).toHaveLength(2);
  });
});

describe("methods", () => {
  it.each(["GET", "DELETE", "HEAD", "OPTIONS"])("ignores the key on %s by default", async (method) => {
    const tag = newTag();
    const sendDefault = gatewayFor({ routes: [{ name: "all", path: "/echo/*" }] });
    for (let i = 0; i < 2; i++) {
      const response = await sendDefault(clientRequest("/echo/x", { tag, key: "same", method }));
      expect(response.headers.get("idempotent-replayed")).toBeNull();
    }
    expect(await originLog(tag)).toHaveLength(2);
  });

  it("applies keys to PATCH by default", async () => {
    const tag = newTag();
    await send(clientRequest("/orders/o-1", { tag, key: "k-patch", method: "PATCH", json: { qty: 2 } }));
    const retry = await send(clientRequest("/orders/o-1", { tag, key: "k-patch", method: "PATCH", json: { qty: 2 } }));
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("applies keys to a method a route opts into", async () => {
    const tag = newTag();
    await send(clientRequest("/echo/del", { tag, key: "k-del", method: "DELETE" }));
    const retry = await send(clientRequest("/echo/del", { tag, key: "k-del", method: "DELETE" }));
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await originLog(tag)).toHaveLength(1);
  });
});

describe("fingerprint mismatch", () => {
  it("answers 422 and does not call the origin when a key is reused for another body", async () => {
    const tag = newTag();
    await send(clientRequest("/orders", { tag, key: "k-mm", json: { qty: 1 } }));
    const reused = await send(clientRequest("/orders", { tag, key: "k-mm", json: { qty: 2 } }));
    expect(reused.status).toBe(422);
    expect(reused.headers.get("content-type")).toBe("application/problem+json");
    const problem = await reused.json<{ type: string; status: number }>();
    expect(problem.type).toBe(problemType("fingerprint-mismatch"));
    expect(problem.status).toBe(422);
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("tells apart JSON numbers that only differ past double precision", async () => {
    const tag = newTag();
    const first = new Request("https://idem.test/orders", {
      method: "POST",
      headers: { "idempotency-key": "k-big", "content-type": "application/json", "demo-tag": tag, authorization: TEST_CALLER },
      body: '{"customerId":12345678901234567890}',
    });
    await send(first);
    const other = new Request(first.url, {
      method: "POST",
      headers: first.headers,
      body: '{"customerId":12345678901234567891}',
    });
    expect((await send(other)).status).toBe(422);
  });

  it("counts the query and the path in the fingerprint", async () => {
    const tag = newTag();
    await send(clientRequest("/echo/q?a=1", { tag, key: "k-q", json: {} }));
    expect((await send(clientRequest("/echo/q?a=2", { tag, key: "k-q", json: {} }))).status).toBe(422);
    expect((await send(clientRequest("/echo/other?a=1", { tag, key: "k-q", json: {} }))).status).toBe(422);
    expect(await originLog(tag)).toHaveLength(1);
  });
});

describe("tenant isolation", () => {
  it("keeps the same key of two callers apart", async () => {
    const tag = newTag();
    const alice = await send(clientRequest("/orders", { tag, key: "shared", auth: "Bearer alice", json: { who: "alice" } }));
    const bob = await send(clientRequest("/orders", { tag, key: "shared", auth: "Bearer bob", json: { who: "bob" } }));
    expect(bob.status).toBe(201);
    expect(bob.headers.get("idempotent-replayed")).toBeNull();
    const aliceOrder = await alice.json<{ id: string; who: string }>();
    const bobOrder = await bob.json<{ id: string; who: string }>();
    expect(bobOrder.who).toBe("bob");
    expect(bobOrder.id).not.toBe(aliceOrder.id);
    const aliceRetry = await send(clientRequest("/orders", { tag, key: "shared", auth: "Bearer alice", json: { who: "alice" } }));
    expect((await aliceRetry.json<{ id: string }>()).id).toBe(aliceOrder.id);
    expect(await originLog(tag)).toHaveLength(2);
  });
});
