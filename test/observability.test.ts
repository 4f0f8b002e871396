import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Outcome } from "../src/protocol/outcomes.ts";
import { clientRequest, gatewayFor, newTag, originReceived, type SendOptions } from "./support/gateway.ts";
import { captureLogs, type LogLine } from "./support/logs.ts";

// Distinctive values that must never reach a log line.
const SECRET_KEY = "key-SECRET-7f3a";
const SECRET_AUTH = "Bearer tok-SECRET-91c2";
const SECRET_BODY = { card: "4242-SECRET-0000", orderNo: "ord-SECRET-5" };

const send = gatewayFor({
  routes: [
    { name: "orders", path: "/orders", dedup: [{ name: "same-order", prerequisites: ["body:orderNo"], compare: ["body:orderNo"] }] },
    { name: "conflicting", path: "/conflicting", concurrency: "conflict" },
    { name: "single-use", path: "/single-use", mode: "reject" },
    { name: "small", path: "/small", maxStoredResponseBytes: 100 },
    { name: "edit", path: "/docs/:id", methods: ["PATCH"], document: { id: "path:id", editTimeoutMs: 100 } },
    { name: "delete", path: "/docs/:id", methods: ["DELETE"], document: { id: "path:id", delete: true } },
    { name: "open", path: "/open" },
  ],
});
const sendToDeadOrigin = gatewayFor({ origin: env.DEAD_ORIGIN_URL, routes: [{ name: "dead", path: "/orders" }] });

const LOG_FIELDS = new Set([
  "event",
  "route",
  "origin",
  "outcome",
  "method",
  "status",
  "originStatus",
  "record",
  "rule",
  "error",
  "totalMs",
  "gatewayMs",
  "originMs",
  "sampleRate",
]);

let logs: ReturnType<typeof captureLogs>;
beforeEach(() => {
  logs = captureLogs();
});
afterEach(() => logs.restore());

/** A client request with a secret credential and body; `key: true` adds a secret key unique to the tag. */
function request(path: string, options: Omit<Partial<SendOptions>, "key"> & { tag: string; key?: boolean | string }): Request {
  const key = options.key === true ? `${SECRET_KEY}-${options.tag}` : options.key || undefined;
  return clientRequest(path, { auth: SECRET_AUTH, json: SECRET_BODY, ...options, key });
}

/** Checks one decision line's shape and that it holds no key, credential or body. */
function expectWellFormed(line: LogLine | undefined): LogLine {
  expect(line).toBeDefined();
  const entry = line as LogLine;
  for (const field of Object.keys(entry)) expect(LOG_FIELDS).toContain(field);
  expect(typeof entry.outcome).toBe("string");
  expect(typeof entry.method).toBe("string");
  expect(typeof entry.status).toBe("number");
  expect(typeof entry.totalMs).toBe("number");
  expect(typeof entry.gatewayMs).toBe("number");
  expect(entry.gatewayMs as number).toBeLessThanOrEqual(entry.totalMs as number);
  if (entry.record !== undefined) expect(entry.record).toMatch(/^[0-9a-f]{64}$/);
  const text = JSON.stringify(entry);
  for (const secret of [SECRET_KEY, "SECRET"]) expect(text).not.toContain(secret);
  return entry;
}

/** Runs the requests, and returns the decision line of the last one, after checking there is one line per request. */
async function lastDecision(requests: (() => Promise<Response>)[]): Promise<LogLine> {
  logs.clear();
  for (const run of requests) await run();
  const lines = logs.lines("idem.decision");
  expect(lines).toHaveLength(requests.length);
  for (const line of lines) expectWellFormed(line);
  return lines.at(-1) as LogLine;
}

async function outcomeOf(requests: (() => Promise<Response>)[]): Promise<Outcome> {
  return (await lastDecision(requests)).outcome as Outcome;
}

describe("one decision line per request, for every outcome, with no secrets", () => {
  it("forwarded, then replayed: with the route, statuses, durations and the record ID", async () => {
    const tag = newTag();
    const first = await lastDecision([() => send(request("/orders", { tag, key: true }))]);
    expect(first).toMatchObject({
      event: "idem.decision",
      route: "orders",
      origin: "origin",
      outcome: "forwarded",
      method: "POST",
      status: 201,
      originStatus: 201,
    });
    expect(typeof first.originMs).toBe("number");
    const retry = await lastDecision([() => send(request("/orders", { tag, key: true }))]);
    expect(retry).toMatchObject({ outcome: "replayed", status: 201, originStatus: 201, record: first.record });
    expect(retry.originMs).toBeUndefined();
  });

  it("waited-then-replayed", async () => {
    const tag = newTag();
    const slow = { tag, key: true, headers: { "demo-delay": "300" } };
    const first = send(request("/orders", slow));
    await originReceived(tag, 1);
    logs.clear();
    await send(request("/orders", slow));
    await first;
    const lines = logs.lines("idem.decision");
    expect(lines.map((l) => l.outcome).sort()).toEqual(["forwarded", "waited-then-replayed"]);
    lines.forEach(expectWellFormed);
  });

  it("conflict", async () => {
    const tag = newTag();
    const slow = { tag, key: true, headers: { "demo-delay": "300" } };
    const first = send(request("/conflicting", slow));
    await originReceived(tag, 1);
    expect(await outcomeOf([() => send(request("/conflicting", slow))])).toBe("conflict");
    await first;
  });

  it("mismatch", async () => {
    const tag = newTag();
    await send(request("/orders", { tag, key: true }));
    expect(await outcomeOf([() => send(request("/orders", { tag, key: true, json: { ...SECRET_BODY, card: "other-SECRET" } }))])).toBe("mismatch");
  });

  it("rejected (single-use keys)", async () => {
    const tag = newTag();
    await send(request("/single-use", { tag, key: true }));
    const line = await lastDecision([() => send(request("/single-use", { tag, key: true }))]);
    expect(line).toMatchObject({ outcome: "rejected", error: "key-already-used", status: 409 });
  });

  it("deduplicated, naming the rule", async () => {
    const tag = newTag();
    const body = { ...SECRET_BODY, orderNo: `ord-SECRET-${tag}` };
    await send(request("/orders", { tag, json: body }));
    const line = await lastDecision([() => send(request("/orders", { tag, json: body }))]);
    expect(line).toMatchObject({ outcome: "deduplicated", rule: "same-order" });
  });

  it("edit-timeout", async () => {
    const tag = newTag();
    const first = send(request("/docs/d1", { tag, method: "PATCH", headers: { "demo-delay": "600" } }));
    await originReceived(tag, 1);
    expect(await outcomeOf([() => send(request("/docs/d1", { tag, method: "PATCH" }))])).toBe("edit-timeout");
    await first;
  });

  it("delete-in-progress", async () => {
    const tag = newTag();
    const first = send(request("/docs/d2", { tag, method: "DELETE", json: undefined, headers: { "demo-delay": "400" } }));
    await originReceived(tag, 1);
    expect(await outcomeOf([() => send(request("/docs/d2", { tag, method: "DELETE", json: undefined }))])).toBe("delete-in-progress");
    await first;
  });

  it("origin-error, naming the error kind (a request without a key)", async () => {
    const line = await lastDecision([() => sendToDeadOrigin(request("/orders", { tag: newTag() }))]);
    expect(line).toMatchObject({ outcome: "origin-error", error: "origin-unreachable", status: 502 });
  });

  it("outcome-unknown, then unknown-replayed for the retry, with the origin's status when one came", async () => {
    const tag = newTag();
    const faulty = { tag, key: true, headers: { "demo-status": "999" } };
    const first = await lastDecision([() => send(request("/orders", faulty))]);
    expect(first).toMatchObject({ outcome: "outcome-unknown", error: "outcome-unknown", status: 502, originStatus: 999 });
    const retry = await lastDecision([() => send(request("/orders", faulty))]);
    expect(retry).toMatchObject({ outcome: "unknown-replayed", error: "outcome-unknown", status: 502, originStatus: 999 });
  });

  it("not-replayable", async () => {
    const tag = newTag();
    const big = { tag, key: true, headers: { "demo-bytes": "500" } };
    await (await send(request("/small", big))).text();
    expect(await outcomeOf([() => send(request("/small", big))])).toBe("not-replayable");
  });

  it("passed-through, for a route request without a key and for a request no route takes", async () => {
    expect(await outcomeOf([() => send(request("/open", { tag: newTag() }))])).toBe("passed-through");
    const unrouted = await lastDecision([() => send(request("/elsewhere", { tag: newTag(), method: "GET", json: undefined }))]);
    expect(unrouted).toMatchObject({ route: null, outcome: "passed-through" });
  });

  it("invalid-request", async () => {
    const line = await lastDecision([() => send(request("/orders", { tag: newTag(), key: "two words SECRET" }))]);
    expect(line).toMatchObject({ outcome: "invalid-request", error: "invalid-key", status: 400 });
  });
});

describe("decisionLog.passThroughRate", () => {
  it("at 0, logs no pass-through but every other decision, and the data point still counts every one", async () => {
    const points: AnalyticsEngineDataPoint[] = [];
    const recorder = { writeDataPoint: (point?: AnalyticsEngineDataPoint) => point && points.push(point) };
    const quiet = gatewayFor({ decisionLog: { passThroughRate: 0 }, routes: [{ name: "orders", path: "/orders" }] }, { ANALYTICS: recorder });
    const quietToDeadOrigin = gatewayFor({
      origin: env.DEAD_ORIGIN_URL,
      decisionLog: { passThroughRate: 0 },
      routes: [{ name: "dead", path: "/orders" }],
    });
    const tag = newTag();
    logs.clear();
    expect((await quiet(request("/orders", { tag }))).status).toBe(201);
    expect((await quiet(request("/elsewhere", { tag, method: "GET", json: undefined }))).status).toBe(200);
    expect(logs.lines("idem.decision")).toEqual([]);
    expect((await quiet(request("/orders", { tag, key: true }))).status).toBe(201);
    expect((await quietToDeadOrigin(request("/orders", { tag }))).status).toBe(502);
    const lines = logs.lines("idem.decision");
    expect(lines.map((line) => line.outcome)).toEqual(["forwarded", "origin-error"]);
    lines.forEach(expectWellFormed);
    expect(lines.every((line) => line.sampleRate === undefined)).toBe(true);
    expect(points.map((point) => point.blobs?.[1])).toEqual(["passed-through", "passed-through", "forwarded"]);
  });

  it("is refused outside 0 to 1, naming the field", () => {
    expect(() => gatewayFor({ decisionLog: { passThroughRate: 2 }, routes: [] })).toThrow(/decisionLog\.passThroughRate/);
  });
});

describe("Analytics Engine", () => {
  it("gets one data point per decision: route as index, outcome and durations in fixed columns", async () => {
    const points: AnalyticsEngineDataPoint[] = [];
    const recorder = { writeDataPoint: (point?: AnalyticsEngineDataPoint) => point && points.push(point) };
    const measured = gatewayFor({ routes: [{ name: "orders", path: "/orders" }] }, { ANALYTICS: recorder });
    const tag = newTag();
    await measured(request("/orders", { tag, key: true }));
    await measured(request("/orders", { tag, key: true }));
    expect(points).toHaveLength(2);
    const [first, replay] = points;
    expect(first?.indexes).toEqual(["orders"]);
    expect(first?.blobs).toEqual(["orders", "forwarded", "POST", "", ""]);
    expect(replay?.blobs).toEqual(["orders", "replayed", "POST", "", ""]);
    const [total, gateway, origin, status, originStatus] = replay?.doubles ?? [];
    expect(total).toBeGreaterThanOrEqual(gateway ?? Number.NaN);
    expect(origin).toBe(0);
    expect(status).toBe(201);
    expect(originStatus).toBe(201);
    expect(JSON.stringify(points)).not.toContain("SECRET");
  });

  it("works with the binding wrangler.toml declares, for routed and unrouted requests", async () => {
    expect(env.ANALYTICS).toBeDefined();
    const withDataset = gatewayFor({ routes: [{ name: "orders", path: "/orders" }] });
    expect((await withDataset(request("/orders", { tag: newTag(), key: true }))).status).toBe(201);
    expect((await withDataset(request("/elsewhere", { tag: newTag(), method: "GET", json: undefined }))).status).toBe(200);
  });
});
