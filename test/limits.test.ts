import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ConfigInput } from "../src/config/schema.ts";
import { problemType } from "../src/errors/problem-docs.ts";
import { clientRequest, gatewayFor, newTag, originLog, TEST_CALLER } from "./support/gateway.ts";
import { locateKeyRecord, storedChunks } from "./support/key-records.ts";

const config: Omit<ConfigInput, "origin"> = {
  maxRequestBodyBytes: 1024,
  routes: [
    { name: "orders", path: "/orders" },
    { name: "capped", path: "/capped/*", maxStoredResponseBytes: 64 * 1024 },
  ],
};
const send = gatewayFor(config);

describe("request body limit", () => {
  it("answers 413 to a keyed body above maxRequestBodyBytes, without calling the origin", async () => {
    const tag = newTag();
    const response = await send(clientRequest("/orders", { tag, key: "big-1", json: { blob: "x".repeat(2000) } }));
    expect(response.status).toBe(413);
    expect((await response.json<{ type: string }>()).type).toBe(problemType("body-too-large"));
    expect(await originLog(tag)).toHaveLength(0);
  });

  it("accepts a body at the limit", async () => {
    const tag = newTag();
    const body = JSON.stringify({ blob: "x".repeat(1000) }).slice(0, 1024);
    const request = new Request("https://idem.test/orders", {
      method: "POST",
      headers: { "idempotency-key": "at-limit", "demo-tag": tag, "content-type": "text/plain", authorization: TEST_CALLER },
      body: body.padEnd(1024, " "),
    });
    expect((await send(request)).status).toBe(201);
  });
});

describe("stored response size", () => {
  it("stores a response above the 2 MB row limit in chunks and replays it byte for byte", async () => {
    const sendBig = gatewayFor({ routes: [{ name: "orders", path: "/orders" }] });
    const tag = newTag();
    const headers = { "demo-bytes": String(5 * 1024 * 1024 + 123) };
    const first = await sendBig(clientRequest("/orders", { tag, key: "huge-1", json: {}, headers }));
    const firstBody = await first.text();
    expect(firstBody.length).toBe(5 * 1024 * 1024 + 123);
    const retry = await sendBig(clientRequest("/orders", { tag, key: "huge-1", json: {} }));
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    // Streamed from storage a chunk at a time, framed as the first answer was.
    expect(retry.headers.get("content-length")).toBe(first.headers.get("content-length"));
    expect(await retry.text()).toBe(firstBody);
    expect(await originLog(tag)).toHaveLength(1);
    const { stub } = await locateKeyRecord({ routes: [{ name: "orders", path: "/orders" }] }, "orders", "huge-1");
    const chunks = await runInDurableObject(stub, (_instance, state) => storedChunks(state));
    // 5 MiB + 123 bytes: the first MiB is kept in the record itself, the rest in 5 chunk rows.
    expect(chunks).toBe(5);
  });

  it("streams a response above maxStoredResponseBytes to the first caller, and never runs it twice", async () => {
    const tag = newTag();
    const headers = { "demo-bytes": String(200 * 1024) };
    const first = await send(clientRequest("/capped/a", { tag, key: "cap-1", json: {}, headers }));
    expect(first.status).toBe(200);
    expect((await first.text()).length).toBe(200 * 1024);
    const retry = await send(clientRequest("/capped/a", { tag, key: "cap-1", json: {} }));
    expect(retry.status).toBe(409);
    const problem = await retry.json<{ type: string; originalStatus: number }>();
    expect(problem.type).toBe(problemType("response-not-replayable"));
    expect(problem.originalStatus).toBe(200);
    expect(retry.headers.get("retry-after")).toBeNull();
    expect(await originLog(tag)).toHaveLength(1);
  });
});
