/**
 * examples/in-worker on the real bundle: Idem and the orders API in one Worker,
 * the API reached by Idem's objects through a service binding to the Worker's
 * own OrdersApi entrypoint. Executions are counted in the API's request log
 * (`GET /__demo/requests`, which Idem passes through to it), so "once" is
 * counted where the order is created.
 *
 * The never-twice proofs here are the rows of test/support/never-twice-proofs.ts
 * that a handler in the same Worker can meet: its answer lost after it ran (it
 * throws), its body broken off, no answer in time. The other rows cannot happen
 * between a Worker and its own entrypoint: no connection to refuse, no
 * Cloudflare edge to answer 52x, and a Worker cannot build a status outside
 * 200-599.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BundledWorker, buildBundle, startBundledWorker } from "../../harness/bundled-worker.ts";
import { bundledConfigFile, configFileOf } from "../../harness/config-file.ts";
import { eventually } from "../support/eventually.ts";
import { NEVER_TWICE_ADMIN_TOKEN } from "../support/never-twice-proofs.ts";
import { originLogAt, originReceivedAt } from "../support/origin-log.ts";

const WRANGLER_CONFIG = "examples/in-worker/wrangler.toml";
const AUTH = "Bearer in-worker-client";

let worker: BundledWorker;

beforeAll(async () => {
  const { config } = configFileOf(WRANGLER_CONFIG);
  // The shipped config, with a short origin timeout so a hanging handler is quick to wait out.
  const bundle = buildBundle(WRANGLER_CONFIG, ".wrangler/in-worker", bundledConfigFile({ ...config, originTimeoutMs: 3_000 }));
  worker = await startBundledWorker({ bundle, wranglerConfig: WRANGLER_CONFIG, bindings: { ADMIN_TOKEN: NEVER_TWICE_ADMIN_TOKEN } });
});
afterAll(async () => {
  await worker?.dispose();
});

interface Order {
  id: string;
  item: string;
  quantity: number;
}

interface Problem {
  type: string;
  status: number;
  failure?: string;
  failedAt?: string;
  detail: string;
}

const newTag = () => crypto.randomUUID();

function order(tag: string, init: { key?: string; headers?: Record<string, string>; signal?: AbortSignal; item?: string } = {}) {
  const headers: Record<string, string> = { authorization: AUTH, "content-type": "application/json", "demo-tag": tag, ...init.headers };
  if (init.key !== undefined) headers["idempotency-key"] = init.key;
  return fetch(new URL("/orders", worker.url), {
    method: "POST",
    headers,
    body: JSON.stringify({ item: init.item ?? "lamp", quantity: 2 }),
    signal: init.signal,
  });
}

/** How many times the orders API ran a request with this tag, read from its own log through Idem. */
const executions = async (tag: string) => (await originLogAt(worker.url.origin, tag)).length;

async function problem(response: Response): Promise<Problem> {
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = (await response.json()) as Problem;
  return { ...body, type: body.type.replace("urn:idem:problem:", "") };
}

/** The record of a key, read through the admin API as an operator would. */
async function record(key: string): Promise<{ state: string; response: { status: number } | null; outcome?: { failure: string; failedAt: string } }> {
  const response = await fetch(new URL("/__idem/records/lookup", worker.url), {
    method: "POST",
    headers: { authorization: `Bearer ${NEVER_TWICE_ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ route: "create-order", key, scope: { "header:Authorization": AUTH } }),
  });
  expect(response.status).toBe(200);
  return response.json() as Promise<{ state: string; response: { status: number } | null; outcome?: { failure: string; failedAt: string } }>;
}

describe("examples/in-worker: the orders API behind Idem in the same Worker", () => {
  it("creates an order once per key: the retry gets the same order, replayed", async () => {
    const tag = newTag();
    const first = await order(tag, { key: "lamp-1" });
    expect(first.status).toBe(201);
    const created = (await first.json()) as Order;
    expect(created).toMatchObject({ id: expect.stringMatching(/^ord_/), item: "lamp", quantity: 2 });

    const retry = await order(tag, { key: "lamp-1" });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(((await retry.json()) as Order).id).toBe(created.id);
    expect(await executions(tag)).toBe(1);

    // Another key is another order: the API creates a fresh ID every time it runs.
    const other = (await (await order(tag, { key: "lamp-2" })).json()) as Order;
    expect(other.id).not.toBe(created.id);
    expect(await executions(tag)).toBe(2);
    expect(await record("lamp-1")).toMatchObject({ state: "completed", response: { status: 201 } });

    const reused = await order(tag, { key: "lamp-1", item: "desk" });
    expect(reused.status).toBe(422);
    expect((await problem(reused)).type).toBe("fingerprint-mismatch");
    expect(await executions(tag)).toBe(2);
  });

  it("refuses a create without a key, or without a caller, before the API runs", async () => {
    const tag = newTag();
    const keyless = await order(tag);
    expect(keyless.status).toBe(400);
    expect((await problem(keyless)).type).toBe("key-required");
    const anonymous = await fetch(new URL("/orders", worker.url), {
      method: "POST",
      headers: { "idempotency-key": "anon-1", "content-type": "application/json", "demo-tag": tag },
      body: JSON.stringify({ item: "lamp" }),
    });
    expect(anonymous.status).toBe(400);
    expect((await problem(anonymous)).type).toBe("caller-unidentified");
    expect(await executions(tag)).toBe(0);
  });

  it("runs concurrent copies of one request once; every copy gets that order", async () => {
    const tag = newTag();
    const copies = await Promise.all(Array.from({ length: 5 }, () => order(tag, { key: "desk-1", headers: { "demo-delay": "300" } })));
    const ids = await Promise.all(copies.map(async (response) => ((await response.json()) as Order).id));
    expect(copies.map((response) => response.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(ids).size).toBe(1);
    expect(await executions(tag)).toBe(1);
  });

  it("passes what no route names through to the API, e.g. reading an order back", async () => {
    const created = (await (await order(newTag(), { key: "chair-1", item: "chair" })).json()) as Order;
    const read = await fetch(new URL(`/orders/${created.id}`, worker.url), { headers: { authorization: AUTH } });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id: created.id, item: "chair" });
  });
});

describe("examples/in-worker: a lost answer is an unknown outcome, never a second execution", () => {
  const faults = [
    { fault: "the handler runs, then throws: its answer is lost", header: "demo-reset", status: 502, failure: "origin-unreachable" },
    { fault: "the handler runs, then its body breaks off", header: "demo-break", status: 502, failure: "origin-broken-response" },
    { fault: "the handler runs and does not answer within originTimeoutMs", header: "demo-hang", status: 504, failure: "origin-timeout" },
  ];

  it.each(faults)("$fault: $status $failure, 1 execution, retries get it again", async ({ header, status, failure }) => {
    const tag = newTag();
    const key = `unknown-${tag}`;
    const first = await order(tag, { key, headers: { [header]: "1" } });
    expect(first.status).toBe(status);
    const told = await problem(first);
    expect(told).toMatchObject({ type: "outcome-unknown", failure });
    expect(await executions(tag)).toBe(1);

    // The retry carries no fault: the handler would answer it. It is not run.
    for (let attempt = 0; attempt < 2; attempt++) {
      const retry = await order(tag, { key });
      expect(retry.status).toBe(status);
      expect(retry.headers.get("idempotent-replayed")).toBe("true");
      expect(await problem(retry)).toMatchObject({ type: "outcome-unknown", failure, failedAt: told.failedAt });
    }
    expect(await executions(tag)).toBe(1);
    expect(await record(key)).toMatchObject({ state: "outcome-unknown", response: null, outcome: { failure, failedAt: told.failedAt } });
  });
});

describe("examples/in-worker: client disconnect", () => {
  it("completes the handler's work after the client has gone, and replays it to the retry", async () => {
    const tag = newTag();
    const client = new AbortController();
    const abandoned = order(tag, { key: "gone-1", headers: { "demo-delay": "400" }, signal: client.signal }).catch((error: Error) => error);
    await originReceivedAt(worker.url.origin, tag, 1);
    client.abort();
    expect(await abandoned).toBeInstanceOf(Error);

    // The handler finishes although nobody is listening any more: the object owns the call, not the client's request.
    await eventually(async () => (await originLogAt(worker.url.origin, tag))[0]?.endedAt, { waitingFor: "the handler to finish" });
    const retry = await order(tag, { key: "gone-1" });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.json()).toMatchObject({ item: "lamp", quantity: 2 });
    expect(await executions(tag)).toBe(1);
  });
});
