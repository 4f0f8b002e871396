import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { problemType } from "../src/errors/problem-docs.ts";
import { clientRequest, gatewayFor, newTag, originLog } from "./support/gateway.ts";

const routes = [{ name: "orders", path: "/orders" }];
const send = gatewayFor({ originTimeoutMs: 300, routes });

describe("origin failures", () => {
  it("answers 504 when the origin hangs past the timeout, and releases the key", async () => {
    const tag = newTag();
    const hung = await send(clientRequest("/orders", { tag, key: "hang-1", json: {}, headers: { "demo-hang": "1" } }));
    expect(hung.status).toBe(504);
    expect(hung.headers.get("content-type")).toBe("application/problem+json");
    expect((await hung.json<{ type: string }>()).type).toBe(problemType("origin-timeout"));
    const retry = await send(clientRequest("/orders", { tag, key: "hang-1", json: {} }));
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(2);
  });

  it("answers 502 when the origin refuses the connection, and releases the key", async () => {
    const tag = newTag();
    const sendToDeadOrigin = gatewayFor({ origin: env.DEAD_ORIGIN_URL, routes });
    const refused = await sendToDeadOrigin(clientRequest("/orders", { tag, key: "refused-1", json: {} }));
    expect(refused.status).toBe(502);
    expect((await refused.json<{ type: string }>()).type).toBe(problemType("origin-unreachable"));
    // Same key, same scope, now in front of a live origin: it executes.
    const retry = await send(clientRequest("/orders", { tag, key: "refused-1", json: {} }));
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
  });

  it("answers 504 for requests without a key too", async () => {
    const tag = newTag();
    const hung = await send(clientRequest("/orders", { tag, json: {}, headers: { "demo-hang": "1" } }));
    expect(hung.status).toBe(504);
  });
});
