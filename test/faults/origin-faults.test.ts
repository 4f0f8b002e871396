/**
 * Issue 5, fault table: what the client gets when the origin fails in each
 * way, and what Idem remembers afterwards (read straight from the KeyObject's
 * storage). Every origin here is real HTTP on 127.0.0.1: the demo origin's
 * Demo-* headers make it fail, and env.DEAD_ORIGIN_URL refuses connections.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clientRequest, gatewayFor, newTag, originLog } from "../support/gateway.ts";
import { locateKeyRecord, readKeyRecord, readStoredBody } from "../support/key-records.ts";

const config = {
  // Short, so a hanging origin times out quickly; the lock must outlast it.
  originTimeoutMs: 500,
  defaults: { lockTimeoutMs: 1_000 },
  routes: [
    { name: "orders", path: "/orders" },
    // A route whose policy releases the key on 5xx and on unknown outcomes, so clients may retry them.
    { name: "retryable", path: "/retryable/*", neverStoreStatuses: ["500-599", 408, 429], onUnknownOutcome: "release" as const },
    { name: "small-cap", path: "/small/*", maxStoredResponseBytes: 1_024 },
  ],
};
const send = gatewayFor(config);
const sendToDeadOrigin = gatewayFor({ ...config, origin: env.DEAD_ORIGIN_URL });

interface Problem {
  type: string;
  status: number;
}

async function problemType(response: Response): Promise<string> {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const problem = await response.json<Problem>();
  expect(problem.status).toBe(response.status);
  return problem.type.replace("https://idem.dev/problems/", "");
}

describe("origin answers with an error status", () => {
  it("500: stored and replayed, the origin executes once", async () => {
    const tag = newTag();
    const key = `k500-${tag}`;
    const first = await send(clientRequest("/orders", { tag, key, json: { n: 1 }, headers: { "demo-status": "500" } }));
    expect(first.status).toBe(500);
    const firstBody = await first.text();

    const retry = await send(clientRequest("/orders", { tag, key, json: { n: 1 } }));
    expect(retry.status).toBe(500);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.text()).toBe(firstBody);
    expect(await originLog(tag)).toHaveLength(1);

    const location = await locateKeyRecord(config, "orders", key);
    expect(await readKeyRecord(location)).toMatchObject({ state: "completed", status: 500, bodyRetained: true });
    expect(await readStoredBody(location)).toBe(firstBody);
  });

  it.each([
    { route: "orders", path: "/orders", status: 503, stored: true, why: "the default policy stores 5xx" },
    { route: "retryable", path: "/retryable/x", status: 503, stored: false, why: "the route releases 5xx" },
    { route: "orders", path: "/orders", status: 429, stored: false, why: "429 is never stored by default" },
    { route: "retryable", path: "/retryable/x", status: 429, stored: false, why: "the route lists 429" },
  ])("$status on route $route: stored=$stored ($why)", async ({ route, path, status, stored }) => {
    const tag = newTag();
    const key = `k${status}-${tag}`;
    const first = await send(clientRequest(path, { tag, key, json: {}, headers: { "demo-status": String(status) } }));
    expect(first.status).toBe(status);
    const record = await readKeyRecord(await locateKeyRecord(config, route, key));

    const retry = await send(clientRequest(path, { tag, key, json: {} }));
    if (stored) {
      expect(record).toMatchObject({ state: "completed", status });
      expect(retry.status).toBe(status);
      expect(retry.headers.get("idempotent-replayed")).toBe("true");
      expect(await originLog(tag)).toHaveLength(1);
    } else {
      expect(record).toBeUndefined();
      expect(retry.status).toBeLessThan(300);
      expect(retry.headers.get("idempotent-replayed")).toBeNull();
      expect(await originLog(tag)).toHaveLength(2);
    }
  });
});

describe("origin fails to answer: the outcome is unknown, remembered, and the request never runs again", () => {
  it.each<{ fault: string; headers: Record<string, string>; status: number; failure: string }>([
    { fault: "hangs past the timeout", headers: { "demo-hang": "1" }, status: 504, failure: "origin-timeout" },
    { fault: "breaks its body off within the storage cap", headers: { "demo-break": "1" }, status: 502, failure: "origin-broken-response" },
  ])("$fault: $status outcome-unknown, nothing partial stored, the retry is told the same", async ({ headers, status, failure }) => {
    const tag = newTag();
    const key = `unknown-${tag}`;
    const first = await send(clientRequest("/orders", { tag, key, json: { item: "lamp" }, headers }));
    expect(first.status).toBe(status);
    expect(await problemType(first)).toBe("outcome-unknown");
    const location = await locateKeyRecord(config, "orders", key);
    expect(await readKeyRecord(location)).toMatchObject({
      state: "unknown",
      status: null,
      bodyHead: null,
      bodyRetained: false,
      failure: { kind: failure },
    });

    const retry = await send(clientRequest("/orders", { tag, key, json: { item: "lamp" } }));
    expect(retry.status).toBe(status);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await problemType(retry)).toBe("outcome-unknown");
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("refuses the connection: indistinguishable from a reset after sending, so unknown too; the origin is never asked", async () => {
    const tag = newTag();
    const key = `refused-${tag}`;
    const first = await sendToDeadOrigin(clientRequest("/orders", { tag, key, json: {} }));
    expect(first.status).toBe(502);
    expect(await problemType(first)).toBe("outcome-unknown");
    // Same route name, key and caller: the same record, now with a live origin.
    expect(await readKeyRecord(await locateKeyRecord(config, "orders", key))).toMatchObject({
      state: "unknown",
      failure: { kind: "origin-unreachable" },
    });

    const retry = await send(clientRequest("/orders", { tag, key, json: {} }));
    expect(retry.status).toBe(502);
    expect(await originLog(tag)).toHaveLength(0);
  });

  it("on a route that releases unknown outcomes: the key is released and the retry executes", async () => {
    const tag = newTag();
    const key = `released-${tag}`;
    const first = await send(clientRequest("/retryable/x", { tag, key, json: {}, headers: { "demo-break": "1" } }));
    expect(first.status).toBe(502);
    expect(await problemType(first)).toBe("origin-broken-response");
    expect(await readKeyRecord(await locateKeyRecord(config, "retryable", key))).toBeUndefined();

    const retry = await send(clientRequest("/retryable/x", { tag, key, json: {} }));
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(2);
  });
});

describe("origin's body breaks off past the storage cap", () => {
  it("past the storage cap: the client's stream fails, no body is kept, and the retry is told so instead of a replay", async () => {
    const tag = newTag();
    const key = `break-big-${tag}`;
    const headers = { "demo-break": "1", "demo-bytes": "8192" };
    const first = await send(clientRequest("/small/x", { tag, key, json: {}, headers }));
    // The headers came and the first bytes streamed through, then the origin cut the connection.
    expect(first.status).toBe(200);
    await expect(first.text()).rejects.toThrow();

    const record = await readKeyRecord(await locateKeyRecord(config, "small-cap", key));
    expect(record).toMatchObject({ state: "completed", status: 200, bodyRetained: false, bodySize: null });

    const retry = await send(clientRequest("/small/x", { tag, key, json: {} }));
    expect(retry.status).toBe(409);
    expect(await problemType(retry)).toBe("response-not-replayable");
    expect(await originLog(tag)).toHaveLength(1);
  });
});
