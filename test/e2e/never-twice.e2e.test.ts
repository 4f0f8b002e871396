/**
 * Issue 11 against the wrangler-built bundle on Miniflare, over real HTTP,
 * in front of the demo origin on 127.0.0.1: the shared never-twice proofs,
 * and a GET with a body sent as raw HTTP (a fetch() Request cannot carry one).
 */
import { request as httpRequest } from "node:http";
import type { Json } from "miniflare";
import { describe, expect, it } from "vitest";
import { startOrdersOrigin } from "../../demo/orders-origin.ts";
import { NEVER_TWICE_ADMIN_TOKEN, NEVER_TWICE_CONFIG, neverTwiceProofs } from "../support/never-twice-proofs.ts";
import { useBundledStack } from "./support/stack.ts";

const { routes, ...settings } = NEVER_TWICE_CONFIG;
const stack = useBundledStack({
  origin: startOrdersOrigin,
  routes: routes as unknown as Json[],
  settings: settings as unknown as { [field: string]: Json },
  bindings: { ADMIN_TOKEN: NEVER_TWICE_ADMIN_TOKEN },
});

neverTwiceProofs(() => ({
  send: (request) => fetch(request),
  base: stack().worker.url.href,
  originUrl: stack().origin.url,
  sendWhileOriginRefuses: (request) => stack().origin.refusingConnections(() => fetch(request)),
}));

/** Sends a request with any method and body, as curl -X GET -d would. */
function rawRequest(url: URL, method: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: { ...headers, "content-length": String(Buffer.byteLength(body)) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("a GET or HEAD with a body", () => {
  it.each(["GET", "HEAD"])("%s: the body is dropped, the origin answers, and it is not reported as down", async (method) => {
    const tag = crypto.randomUUID();
    const answer = await rawRequest(
      new URL("/things?x=1", stack().worker.url),
      method,
      { "demo-tag": tag, "content-type": "application/json" },
      '{"a":1}',
    );
    expect(answer.status).toBe(200);
    const received = stack().origin.received.filter((r) => r.tag === tag);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method, path: "/things?x=1", body: "" });
    expect(received[0]?.headers["content-length"]).toBeUndefined();
  });
});
