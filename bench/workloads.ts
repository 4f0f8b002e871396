/**
 * The workloads of the benchmark and the autocannon runner that drives them.
 * Every workload sends the same request, `POST /orders` with a small JSON
 * body and a bearer token; they differ only in the Idempotency-Key each
 * request carries.
 */
import autocannon from "autocannon";
import { EXECUTED_PATH } from "./origin.ts";

export type ScenarioId = "origin" | "no-key" | "fresh" | "replay" | "hot-key" | "mixed";

export interface Scenario {
  id: ScenarioId;
  title: string;
  /** How the keys are chosen, for the report. */
  description: string;
}

export const SCENARIOS: Record<ScenarioId, Scenario> = {
  origin: { id: "origin", title: "origin alone", description: "the fresh-key requests sent straight to the origin: the limit" },
  "no-key": { id: "no-key", title: "no key (pass-through)", description: "no Idempotency-Key: forwarded without a record" },
  fresh: { id: "fresh", title: "fresh keys", description: "a new key on every request: every request a first execution" },
  replay: { id: "replay", title: "replays", description: "1,024 keys executed beforehand, then sent again round-robin" },
  "hot-key": { id: "hot-key", title: "hot-key storm", description: "every connection sends the same key: one execution, the rest wait or replay" },
  mixed: { id: "mixed", title: "mixed, 10% retried", description: "fresh keys, except every 10th request reuses the key sent 50 requests earlier" },
};

/** The request every workload sends (a small create), with a bearer token as the caller's scope. */
export const BODY = JSON.stringify({ item: "lamp", quantity: 2, customer: "cus_42", note: "bench" });
export const BASE_HEADERS = { "content-type": "application/json", authorization: "Bearer bench-token" };
const REPLAY_KEYS = 1_024;
const RETRY_EVERY = 10;
const RETRY_DISTANCE = 50;

/** Picks the Idempotency-Key of each request; undefined sends none. */
type KeyPicker = () => string | undefined;

function freshKeys(prefix: string): KeyPicker {
  let n = 0;
  return () => `${prefix}-${n++}`;
}

function mixedKeys(prefix: string): KeyPicker {
  const recent: string[] = [];
  let n = 0;
  return () => {
    n++;
    const key = n % RETRY_EVERY === 0 && recent.length === RETRY_DISTANCE ? (recent[0] as string) : `${prefix}-${n}`;
    recent.push(key);
    if (recent.length > RETRY_DISTANCE) recent.shift();
    return key;
  };
}

function roundRobin(keys: readonly string[]): KeyPicker {
  let n = 0;
  return () => keys[n++ % keys.length];
}

export interface LoadOptions {
  connections: number;
  durationSeconds: number;
}

export interface Measurement {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Mean latency; finer than the percentiles, which autocannon keeps in whole milliseconds. */
  meanMs: number;
  /** Requests that completed. */
  completed: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  /** Creates the origin really executed during the measured run (requests in flight at its end included). */
  originExecutions: number;
  /** CPU time the subject's processes spent per completed request (for the peer: proxy and Redis). */
  cpuMsPerRequest: number;
}

async function originExecutions(originUrl: string): Promise<number> {
  const response = await fetch(new URL(EXECUTED_PATH, originUrl), { method: "POST" });
  return ((await response.json()) as { executed: number }).executed;
}

function fire(url: string, pick: KeyPicker, options: { connections: number; duration?: number; amount?: number }): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}/orders`,
    connections: options.connections,
    ...(options.amount === undefined ? { duration: options.duration ?? 1 } : { amount: options.amount }),
    requests: [
      {
        method: "POST",
        body: BODY,
        setupRequest: (request) => {
          const key = pick();
          return { ...request, headers: key === undefined ? BASE_HEADERS : { ...BASE_HEADERS, "idempotency-key": key } };
        },
      },
    ],
  });
}

function pickerFor(scenario: ScenarioId, prefix: string, replayKeys: readonly string[]): KeyPicker {
  switch (scenario) {
    case "no-key":
      return () => undefined;
    case "origin":
    case "fresh":
      return freshKeys(prefix);
    case "replay":
      return roundRobin(replayKeys);
    case "hot-key":
      return () => `${prefix}-hot`;
    case "mixed":
      return mixedKeys(prefix);
  }
}

/** A scenario ready to run: its keys are pre-warmed and the subject has had a one-second warm-up. */
export interface PreparedScenario {
  run(durationSeconds: number): Promise<autocannon.Result>;
}

/**
 * Gets a scenario ready against one subject: pre-warms the replay keys,
 * then runs the workload for one second unmeasured. Keys are unique to
 * `prefix`, so runs never see each other's records.
 *
 * @example
 * const prepared = await prepare("replay", "http://127.0.0.1:8787", "idem-0-replay", 32);
 * const result = await prepared.run(8);
 */
export async function prepare(scenario: ScenarioId, url: string, prefix: string, connections: number): Promise<PreparedScenario> {
  let replayKeys: string[] = [];
  if (scenario === "replay") {
    replayKeys = Array.from({ length: REPLAY_KEYS }, (_, i) => `${prefix}-r${i}`);
    const warm = await fire(url, roundRobin(replayKeys), { connections: Math.min(connections, 16), amount: REPLAY_KEYS });
    if (warm["2xx"] !== REPLAY_KEYS) throw new Error(`pre-warming ${scenario} on ${url}: ${warm["2xx"]} of ${REPLAY_KEYS} succeeded`);
  }
  await fire(url, pickerFor(scenario, `${prefix}-warmup`, replayKeys), { connections, duration: 1 });
  return { run: (durationSeconds) => fire(url, pickerFor(scenario, prefix, replayKeys), { connections, duration: durationSeconds }) };
}

/** Reads the origin's execution count once requests still in flight have landed. */
async function settledExecutions(originUrl: string): Promise<number> {
  let last = await originExecutions(originUrl);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await originExecutions(originUrl);
    if (now === last) return now;
    last = now;
  }
}

/**
 * Runs one scenario against one subject: prepared as above, then measured
 * for `load.durationSeconds`, counting what the origin executed meanwhile.
 *
 * @example
 * const m = await measure("replay", "http://127.0.0.1:8787", originUrl, "idem-0-replay", { connections: 32, durationSeconds: 8 });
 */
export async function measure(
  scenario: ScenarioId,
  url: string,
  originUrl: string,
  prefix: string,
  load: LoadOptions,
  cpu: () => number,
): Promise<Measurement> {
  const prepared = await prepare(scenario, url, prefix, load.connections);
  const before = await settledExecutions(originUrl);
  const cpuBefore = cpu();
  const result = await prepared.run(load.durationSeconds);
  const cpuSeconds = cpu() - cpuBefore;
  const after = await settledExecutions(originUrl);
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    meanMs: result.latency.mean,
    completed: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    originExecutions: after - before,
    cpuMsPerRequest: result.requests.total > 0 ? (cpuSeconds * 1000) / result.requests.total : 0,
  };
}
