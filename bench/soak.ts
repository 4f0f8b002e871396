/**
 * The chaos soak (issue 25): the bundled Worker on workerd, with persisted
 * Durable Object storage, in front of the counting demo origin. A mixed keyed
 * workload runs (fresh keys, retries, concurrent duplicates, slow, hanging,
 * reset and failing answers) while workerd is killed with SIGKILL at random
 * moments and restarted on the same storage. Afterwards every key is retried
 * once more with no fault, and the whole history is checked against the
 * record's invariants:
 *
 * - the origin executed each key at most once;
 * - every answer the origin gave for a key (first or replayed) is the same,
 *   byte for byte;
 * - nothing stays in flight past its lock: the final retries, sent after the
 *   lock has run out, are never answered "in progress";
 * - a never-began outcome frees the key: a key that the origin never executed
 *   and whose attempts were never cut by a kill or a fault after sending is
 *   executed by its final retry.
 *
 *   npm run soak -- --duration=60 [--concurrency=12] [--seed=7]
 *
 * It ends with `soak: N requests, K kills, E executions, V violations`, and
 * exits 1 when V > 0. Not part of `npm test`: docs/faults.md reports a run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startOrdersOrigin } from "../demo/orders-origin.ts";
import { buildBundle, startBundledWorker } from "../harness/bundled-worker.ts";

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "60" },
    concurrency: { type: "string", default: "12" },
    seed: { type: "string" },
  },
});
const durationMs = Number(args.duration) * 1000;
const concurrency = Number(args.concurrency);
const seed = args.seed === undefined ? Date.now() % 2 ** 31 : Number(args.seed);

/** A small deterministic generator (mulberry32), so a run can be repeated with `--seed`. */
function random(): number {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
let state = seed;

const ORIGIN_TIMEOUT_MS = 1_500;
const LOCK_TIMEOUT_MS = 3_000;

/**
 * What one attempt asks of the demo origin, and whether the origin may have
 * acted without the answer coming back (which makes an unknown outcome fair).
 */
interface Fault {
  name: string;
  headers: Record<string, string>;
  mayLoseAnswer: boolean;
}

const FAULTS: readonly [weight: number, fault: Fault][] = [
  [55, { name: "none", headers: {}, mayLoseAnswer: false }],
  [14, { name: "slow", headers: { "demo-delay": "600" }, mayLoseAnswer: false }],
  [5, { name: "hang", headers: { "demo-hang": "1" }, mayLoseAnswer: true }],
  [5, { name: "reset", headers: { "demo-reset": "1" }, mayLoseAnswer: true }],
  [3, { name: "break", headers: { "demo-break": "1" }, mayLoseAnswer: true }],
  [8, { name: "never-began", headers: { "demo-edge-status": "521" }, mayLoseAnswer: false }],
  [4, { name: "timeout-at-edge", headers: { "demo-edge-status": "524" }, mayLoseAnswer: true }],
  [6, { name: "server-error", headers: { "demo-status": "500" }, mayLoseAnswer: false }],
];
const FAULT_WEIGHT = FAULTS.reduce((sum, [weight]) => sum + weight, 0);

function pickFault(): Fault {
  let roll = random() * FAULT_WEIGHT;
  for (const [weight, fault] of FAULTS) {
    roll -= weight;
    if (roll < 0) return fault;
  }
  return FAULTS[0]?.[1] as Fault;
}

/** Idem's problems that the workload can fairly meet; any other kind is a violation. */
const EXPECTED_PROBLEMS = new Set(["in-progress", "outcome-unknown", "origin-timeout", "origin-unreachable", "origin-broken-response"]);

interface KeyHistory {
  key: string;
  body: string;
  attempts: number;
  /** The origin's answer (status and body), first seen fresh or replayed. */
  answer?: string;
  /** An attempt may have reached the origin without its answer coming back (a fault, or a kill while it ran). */
  mayBeUnknown: boolean;
  inFlight: number;
}

const bundle = buildBundle();
const origin = await startOrdersOrigin();
const storage = mkdtempSync(join(tmpdir(), "idem-soak-"));
const worker = await startBundledWorker({
  bundle,
  config: {
    origin: origin.url,
    originTimeoutMs: ORIGIN_TIMEOUT_MS,
    defaults: { lockTimeoutMs: LOCK_TIMEOUT_MS, waitTimeoutMs: 2_000 },
    routes: [{ name: "orders", path: "/orders" }],
  },
  persistTo: storage,
  quiet: true,
});

const keys: KeyHistory[] = [];
const violations: string[] = [];
/** How attempts were answered: `fresh`, `replayed`, `lost` (no answer), or a problem's kind. */
const answered = new Map<string, number>();
const tally = (what: string) => answered.set(what, (answered.get(what) ?? 0) + 1);
let requests = 0;
let kills = 0;
let killing = false;

function violation(text: string): void {
  violations.push(text);
  if (violations.length <= 20) console.error(`violation: ${text}`);
}

/** Sends one attempt for a key and checks its answer against what the key has answered before. */
async function attempt(history: KeyHistory, fault: Fault, final = false): Promise<void> {
  requests++;
  history.attempts++;
  history.inFlight++;
  if (fault.mayLoseAnswer) history.mayBeUnknown = true;
  let response: Response;
  let text: string;
  try {
    response = await fetch(new URL("/orders", worker.url), {
      method: "POST",
      headers: {
        "idempotency-key": history.key,
        authorization: "Bearer soak-client",
        "content-type": "application/json",
        "demo-tag": history.key,
        ...fault.headers,
      },
      body: history.body,
      signal: AbortSignal.timeout(15_000),
    });
    text = await response.text();
  } catch {
    // The runtime died under it (or it never connected): the client does not know what happened.
    history.mayBeUnknown = true;
    tally("lost");
    return;
  } finally {
    history.inFlight--;
  }
  if (killing) history.mayBeUnknown = true;
  const type = response.headers.get("content-type") ?? "";
  if (type.startsWith("application/problem+json")) {
    const kind = (JSON.parse(text) as { type?: string }).type?.replace("urn:idem:problem:", "") ?? "?";
    tally(kind);
    if (!EXPECTED_PROBLEMS.has(kind)) violation(`${history.key}: unexpected problem ${kind} (${response.status}): ${text}`);
    if (final && kind === "in-progress") violation(`${history.key}: still in progress after its lock ran out`);
    return;
  }
  if (response.status >= 520 && response.status <= 526) {
    violation(`${history.key}: Cloudflare's ${response.status} handed to the client instead of a problem`);
    return;
  }
  tally(response.headers.get("idempotent-replayed") === "true" ? "replayed" : "fresh");
  const answer = `${response.status} ${text}`;
  if (history.answer === undefined) history.answer = answer;
  else if (history.answer !== answer) violation(`${history.key}: answer differs from the first one: ${history.answer} / ${answer}`);
}

function pick<T>(items: readonly T[]): T | undefined {
  return items[Math.floor(random() * items.length)];
}

function newKey(): KeyHistory {
  const key = `soak-${seed}-${keys.length}`;
  const history: KeyHistory = { key, body: JSON.stringify({ item: key }), attempts: 0, mayBeUnknown: false, inFlight: 0 };
  keys.push(history);
  return history;
}

/** One client: a loop of fresh keys, retries and concurrent duplicates until the deadline. */
async function client(deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const roll = random();
    const known = pick(keys);
    if (roll < 0.4 || known === undefined) await attempt(newKey(), pickFault());
    else if (roll < 0.75) await attempt(known, pickFault());
    else if (roll < 0.9) {
      const history = newKey();
      await Promise.all([attempt(history, pickFault()), attempt(history, pickFault()), attempt(history, pickFault())]);
    } else await Promise.all([attempt(known, pickFault()), attempt(known, pickFault())]);
  }
}

/** Kills workerd at random moments (every 2–6 s) until the deadline. */
async function killer(deadline: number): Promise<void> {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2_000 + random() * 4_000));
    if (Date.now() >= deadline) return;
    killing = true;
    // Every request in flight now may have reached the origin and lost its answer.
    for (const history of keys) if (history.inFlight > 0) history.mayBeUnknown = true;
    await worker.crash();
    kills++;
    killing = false;
  }
}

const started = Date.now();
const deadline = started + durationMs;
console.log(`soak: seed ${seed}, ${concurrency} clients, ${args.duration} s, storage ${storage}`);
await Promise.all([killer(deadline), ...Array.from({ length: concurrency }, () => client(deadline))]);

// Past every lock (and the origin's slowest answer), each key is retried once with no fault.
await new Promise((resolve) => setTimeout(resolve, LOCK_TIMEOUT_MS + ORIGIN_TIMEOUT_MS));
const executedBefore = new Map(keys.map((history) => [history.key, executionsOf(history.key)]));
const none = FAULTS[0]?.[1] as Fault;
for (let i = 0; i < keys.length; i += concurrency) {
  await Promise.all(keys.slice(i, i + concurrency).map((history) => attempt(history, none, true)));
}

function executionsOf(key: string): number {
  return origin.received.filter((request) => request.tag === key).length;
}

let executions = 0;
for (const history of keys) {
  const count = executionsOf(history.key);
  executions += count;
  if (count > 1) violation(`${history.key}: executed ${count} times`);
  if (executedBefore.get(history.key) === 0 && !history.mayBeUnknown && count !== 1) {
    violation(`${history.key}: never executed and never cut off, yet its final retry did not execute it (a never-began outcome kept the key)`);
  }
}

await worker.dispose();
await origin.close();
rmSync(storage, { recursive: true, force: true });
console.log(`answers: ${[...answered].map(([what, count]) => `${what} ${count}`).join(", ")}`);
console.log(`soak: ${requests} requests, ${kills} kills, ${executions} executions, ${violations.length} violations`);
process.exit(violations.length > 0 ? 1 : 0);
