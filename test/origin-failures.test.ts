import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clientRequest, gatewayFor, newTag, originLog } from "./support/gateway.ts";

const routes = [
  { name: "orders", path: "/orders" },
  // An origin that deduplicates on its own can take a re-run: this route releases keys on an unknown outcome.
  { name: "idempotent-orders", path: "/idempotent-orders", onUnknownOutcome: "release" as const },
];
const send = gatewayFor({ originTimeoutMs: 300, routes });
const sendToDeadOrigin = gatewayFor({ origin: env.DEAD_ORIGIN_URL, routes });

interface Problem {
  type: string;
  failure?: string;
}

const typeOf = (problem: Problem) => problem.type.replace("https://idem.dev/problems/", "");

describe("origin failures", () => {
  it("answers 504 outcome-unknown when the origin hangs past the timeout, and never runs the request again", async () => {
    const tag = newTag();
    const hung = await send(clientRequest("/orders", { tag, key: "hang-1", json: {}, headers: { "demo-hang": "1" } }));
    expect(hung.status).toBe(504);
    expect(hung.headers.get("content-type")).toBe("application/problem+json");
    expect(await hung.json<Problem>()).toMatchObject({ type: "https://idem.dev/problems/outcome-unknown", failure: "origin-timeout" });
    const retry = await send(clientRequest("/orders", { tag, key: "hang-1", json: {} }));
    expect(retry.status).toBe(504);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(typeOf(await retry.json<Problem>())).toBe("outcome-unknown");
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("releases the key on a route with onUnknownOutcome = release: the retry runs again", async () => {
    const tag = newTag();
    const hung = await send(clientRequest("/idempotent-orders", { tag, key: "hang-2", json: {}, headers: { "demo-hang": "1" } }));
    expect(hung.status).toBe(504);
    expect(typeOf(await hung.json<Problem>())).toBe("origin-timeout");
    const retry = await send(clientRequest("/idempotent-orders", { tag, key: "hang-2", json: {} }));
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(2);
  });

  it("a refused connection looks like a reset after sending, so its outcome is unknown too", async () => {
    const tag = newTag();
    const refused = await sendToDeadOrigin(clientRequest("/orders", { tag, key: "refused-1", json: {} }));
    expect(refused.status).toBe(502);
    expect(await refused.json<Problem>()).toMatchObject({ type: "https://idem.dev/problems/outcome-unknown", failure: "origin-unreachable" });
    // Same key, same scope, now in front of a live origin: still not run, the origin is never asked twice.
    const retry = await send(clientRequest("/orders", { tag, key: "refused-1", json: {} }));
    expect(retry.status).toBe(502);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await originLog(tag)).toHaveLength(0);
  });

  it("answers 504 origin-timeout for requests without a key: nothing is remembered", async () => {
    const tag = newTag();
    const hung = await send(clientRequest("/orders", { tag, json: {}, headers: { "demo-hang": "1" } }));
    expect(hung.status).toBe(504);
    expect(typeOf(await hung.json<Problem>())).toBe("origin-timeout");
  });
});
