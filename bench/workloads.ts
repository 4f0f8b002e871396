/**
 * The workloads of the benchmark and the autocannon runner that drives them.
 * Every workload sends the same request, `POST /orders` with a small JSON
 * body and a bearer token; they differ only in the Idempotency-Key each
 * request carries.
 */
import autocannon from "autocannon";
import { EXECUTED_PATH } from "./origin.ts";

export type ScenarioId = "no-key" | "fresh" | "replay" | "hot-key" | "mixed";

export interface Scenario {
  id: ScenarioId;
  title: string;
  /** How the keys are chosen, for the report. */
  description: string;
}

export const SCENARIOS: Record<ScenarioId, Scenario> = {
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

/** Counts what a picker handed out: requests, and keys never sent to the subject before. */
function counted(pick: KeyPicker, seen: ReadonlySet<string>): { pick: KeyPicker; requests(): number; newKeys(): number } {
  let requests = 0;
  const fresh = new Set<string>();
  return {
    pick() {
      requests++;
      const key = pick();
      if (key !== undefined && !seen.has(key)) fresh.add(key);
      return key;
    },
    requests: () => requests,
    newKeys: () => fresh.size,
  };
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
  /**
   * How many executions exactly-once allows: every request sent, without a
   * key; with keys, the keys the subject had never seen (replays: 0, a
   * hot-key storm: 1).
   */
  expectedExecutions: number;
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

/** A workload ready to run against one subject, as many times as there are rounds. */
export interface PreparedScenario {
  /**
   * Runs the workload unmeasured for `load.durationSeconds` (the warm-up),
   * then measured for as long, counting what the origin executed meanwhile.
   * Every call uses keys of its own, so runs never see each other's records.
   * `beforeRun` runs between the warm-up and the measured run (e.g. starts a profiler).
   */
  measure(load: LoadOptions, cpu: () => number, beforeRun?: () => Promise<unknown>): Promise<Measurement>;
}

/**
 * Gets a workload ready against one subject: the replay workload executes
 * its 1,024 keys first. Keys are unique to `prefix`.
 *
 * @example
 * const replay = await prepare("replay", idem.url, origin.url, "idem-replay", 32);
 * const m = await replay.measure({ connections: 32, durationSeconds: 3 }, () => idem.cpuSeconds());
 */
export async function prepare(scenario: ScenarioId, url: string, originUrl: string, prefix: string, connections: number): Promise<PreparedScenario> {
  let replayKeys: string[] = [];
  if (scenario === "replay") {
    replayKeys = Array.from({ length: REPLAY_KEYS }, (_, i) => `${prefix}-r${i}`);
    const warm = await fire(url, roundRobin(replayKeys), { connections: Math.min(connections, 16), amount: REPLAY_KEYS });
    if (warm["2xx"] !== REPLAY_KEYS) throw new Error(`pre-warming ${scenario} on ${url}: ${warm["2xx"]} of ${REPLAY_KEYS} succeeded`);
  }
  const seen = new Set(replayKeys);
  let run = 0;
  return {
    async measure(load, cpu, beforeRun) {
      run++;
      await fire(url, pickerFor(scenario, `${prefix}-${run}-warmup`, replayKeys), { connections: load.connections, duration: load.durationSeconds });
      await beforeRun?.();
      const picker = counted(pickerFor(scenario, `${prefix}-${run}`, replayKeys), seen);
      const before = await settledExecutions(originUrl);
      const cpuBefore = cpu();
      const result = await fire(url, picker.pick, { connections: load.connections, duration: load.durationSeconds });
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
        expectedExecutions: scenario === "no-key" ? picker.requests() : picker.newKeys(),
        cpuMsPerRequest: result.requests.total > 0 ? (cpuSeconds * 1000) / result.requests.total : 0,
      };
    },
  };
}

/**
 * Whether a run kept exactly-once: the origin executed no key twice (never
 * more than the allowed executions), and lost none beyond the requests still
 * unanswered when the run stopped.
 *
 * @example
 * exactlyOnce(m, 32) // true
 */
export function exactlyOnce(m: Measurement, connections: number): boolean {
  return m.originExecutions <= m.expectedExecutions && m.originExecutions >= m.expectedExecutions - connections;
}
