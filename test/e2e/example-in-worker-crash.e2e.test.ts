/**
 * examples/in-worker when the runtime's process dies mid-exchange (as
 * test/e2e/crash.e2e.test.ts does for a separate origin): in one Worker, the
 * handler dies with Idem's object. Miniflare restarts workerd on the same
 * persisted storage; the record, in flight, outlives both. Once its lock runs
 * out, retries get `outcome-unknown`, and the handler, which had created the
 * order before the crash, is never run again.
 *
 * The API's log lives in its isolate, so it restarts empty: the count is the
 * one request seen before the crash plus what the log holds after it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BundledWorker, buildBundle, startBundledWorker } from "../../harness/bundled-worker.ts";
import { bundledConfigFile, configFileOf } from "../../harness/config-file.ts";
import { eventually } from "../support/eventually.ts";
import { originLogAt, originReceivedAt } from "../support/origin-log.ts";

const WRANGLER_CONFIG = "examples/in-worker/wrangler.toml";
const ADMIN_TOKEN = "in-worker-crash-admin-token-0123456789abcdef";
const AUTH = "Bearer in-worker-crash";

let worker: BundledWorker;
let storage: string;

beforeAll(async () => {
  const { config } = configFileOf(WRANGLER_CONFIG);
  // The shipped config with short timeouts, so the dead owner's lock runs out quickly.
  const bundle = buildBundle(
    WRANGLER_CONFIG,
    ".wrangler/in-worker-crash",
    bundledConfigFile({ ...config, originTimeoutMs: 3_000, defaults: { lockTimeoutMs: 5_000 } }),
  );
  storage = mkdtempSync(join(tmpdir(), "idem-in-worker-crash-"));
  worker = await startBundledWorker({ bundle, wranglerConfig: WRANGLER_CONFIG, bindings: { ADMIN_TOKEN }, persistTo: storage });
});
afterAll(async () => {
  await worker?.dispose();
  rmSync(storage, { recursive: true, force: true });
});

function order(tag: string, key: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(new URL("/orders", worker.url), {
    method: "POST",
    headers: { authorization: AUTH, "content-type": "application/json", "idempotency-key": key, "demo-tag": tag, ...headers },
    body: JSON.stringify({ item: "lamp" }),
  });
}

async function recordOf(key: string): Promise<{ state: string; running: boolean; outcome?: { failure: string } }> {
  const response = await fetch(new URL("/__idem/records/lookup", worker.url), {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ route: "create-order", key, scope: { "header:Authorization": AUTH } }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { state: string; running: boolean; outcome?: { failure: string } };
}

describe("examples/in-worker: the runtime's process is killed while the handler runs", () => {
  it("the record outlives Idem and the handler: outcome-unknown once the lock runs out, and the handler never runs again", async () => {
    const tag = crypto.randomUUID();
    const key = `crash-${tag}`;
    const first = order(tag, key, { "demo-delay": "1500" }).then(
      (response) => response.status,
      (error: unknown) => error,
    );
    // The handler has the request (and has created the order) before the runtime dies.
    await originReceivedAt(worker.url.origin, tag, 1);
    await worker.crash();
    expect(await first).toBeInstanceOf(Error);
    expect(await recordOf(key)).toMatchObject({ state: "in-flight", running: false });

    const retry = await eventually(
      async () => {
        const response = await order(tag, key);
        return response.status === 409 ? undefined : response;
      },
      { limitMs: 20_000, intervalMs: 200, waitingFor: "the dead owner's lock to run out" },
    );
    expect(retry.status).toBe(502);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.json()).toMatchObject({ type: "urn:idem:problem:outcome-unknown", failure: "object-lost" });
    expect(await recordOf(key)).toMatchObject({ state: "outcome-unknown", outcome: { failure: "object-lost" } });

    // The log restarted with the runtime: nothing has reached the handler since.
    expect(await originLogAt(worker.url.origin, tag)).toHaveLength(0);
  });
});
