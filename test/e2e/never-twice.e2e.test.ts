/**
 * Issue 11 against the wrangler-built bundle on Miniflare, over real HTTP,
 * in front of the demo origin on 127.0.0.1: the shared never-twice proofs,
 * a GET with a body sent as raw HTTP (a fetch() Request cannot carry one),
 * and a service binding to a Worker that is not running yet.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { convertV4MiniflareOptions, type Json, Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startOrdersOrigin } from "../../demo/orders-origin.ts";
import { boundWorker } from "../../harness/bound-worker.ts";
import { type BundledWorker, startBundledWorker } from "../../harness/bundled-worker.ts";
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

describe("a service binding to a Worker that is not running locally (wrangler's dev registry)", () => {
  let registry: string;
  let idem: BundledWorker;
  let customers: Miniflare | undefined;
  beforeAll(async () => {
    registry = mkdtempSync(join(tmpdir(), "idem-dev-registry-"));
    // examples/commerce binds CUSTOMERS to the Worker "commerce-customers", which nothing runs yet.
    idem = await startBundledWorker({
      bundle: inject("bundlePath"),
      wranglerConfig: "examples/commerce/wrangler.toml",
      config: { origin: { service: "CUSTOMERS" }, routes: [{ name: "customers", path: "/customers" }] },
      devRegistry: registry,
    });
  });
  afterAll(async () => {
    await customers?.dispose();
    await idem.dispose();
    rmSync(registry, { recursive: true, force: true });
  });

  it("wrangler's 503: 502 origin-unreachable and the key is released; once the Worker runs, the retry runs there, once", async () => {
    const tag = crypto.randomUUID();
    const send = () =>
      fetch(new URL("/customers", idem.url), {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": `not-running-${tag}`, authorization: "Bearer c", "demo-tag": tag },
        body: '{"name":"Ada"}',
      });
    const first = await send();
    expect(first.status).toBe(502);
    const told = (await first.json()) as { type: string; detail: string; originalStatus: number };
    expect(told).toMatchObject({ type: "urn:idem:problem:origin-unreachable", originalStatus: 503 });
    expect(told.detail).toContain('Worker "commerce-customers" not found');

    customers = new Miniflare(convertV4MiniflareOptions({ ...boundWorker("commerce-customers"), unsafeDevRegistryPath: registry }));
    await customers.ready;
    // The registry is read when it changes: until Idem's runtime sees the Worker, each retry is refused the same way, and released.
    let retry = await send();
    for (let attempt = 0; retry.status === 502 && attempt < 200; attempt++) {
      await retry.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 50));
      retry = await send();
    }
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect((await send()).headers.get("idempotent-replayed")).toBe("true");
    const log = (await (await customers.dispatchFetch(`http://customers.test/__demo/requests?tag=${tag}`)).json()) as unknown[];
    expect(log).toHaveLength(1);
  });
});
