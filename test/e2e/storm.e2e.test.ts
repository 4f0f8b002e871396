/**
 * Issue 5: a storm. 10,000 requests through the real bundled Worker, over
 * HTTP, against a real origin on 127.0.0.1: two tenants (Authorization) each
 * use the same 500 key names, so 1,000 distinct (tenant, key) records, and
 * every one of them is sent 10 times, its copies in flight together.
 *
 * The origin must execute exactly 1,000 times, once per (tenant, key); each
 * client must get its own key's one response; nothing is lost, and nothing
 * crosses between keys or tenants.
 *
 * Issue 11: a second, smaller storm sends a share of its keys into each
 * origin fault. A key whose outcome is unknown still executes at most once,
 * and all ten of its copies are told so; a key that never began executes
 * never, and all ten copies are told to retry.
 */
import { describe, expect, it } from "vitest";
import { startOrdersOrigin } from "../../demo/orders-origin.ts";
import { useBundledStack } from "./support/stack.ts";

const TENANTS = ["Bearer tenant-a", "Bearer tenant-b"];
const KEYS_PER_TENANT = 500;
const COPIES = 10;
const IN_FLIGHT = 150;
/** Keys whose copies are shuffled together: the pool works through them at once. */
const KEYS_PER_WAVE = 15;
const TAG = "storm";

// Waiting for the first copy may take a while under this load; a 409 would be a lost answer here.
const ROUTES = [{ name: "create-order", path: "/orders", waitTimeoutMs: 60_000 }];
const stack = useBundledStack({ origin: startOrdersOrigin, routes: ROUTES });
// A shorter origin timeout, so the hanging keys of the fault storm time out soon; long enough that no other fault is taken for a timeout under load.
const faultStack = useBundledStack({ origin: startOrdersOrigin, routes: ROUTES, settings: { originTimeoutMs: 8_000 } });

interface Send {
  tenant: string;
  key: string;
  /** Demo-* headers that make the origin fail for this key (the same on every copy; they are not fingerprinted). */
  fault?: Record<string, string>;
}

interface Answer extends Send {
  /** Order of sending and of answering, to tell which copies were in flight together. */
  sentAt: number;
  answeredAt: number;
  status: number;
  replayed: boolean;
  body: { id: string; tenant: string; key: string; type?: string };
}

/** A small seeded generator (mulberry32), so every run sends in the same order. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** Every send, in waves of a few keys whose copies are shuffled together. */
function stormPlan(keysPerTenant = KEYS_PER_TENANT, faultOf: (i: number) => Send["fault"] = () => undefined): Send[] {
  const random = seededRandom(5);
  const records = shuffle(
    TENANTS.flatMap((tenant) => Array.from({ length: keysPerTenant }, (_, i) => ({ tenant, key: `order-${i}`, fault: faultOf(i) }))),
    random,
  );
  const plan: Send[] = [];
  for (let start = 0; start < records.length; start += KEYS_PER_WAVE) {
    const wave = records.slice(start, start + KEYS_PER_WAVE).flatMap((record) => Array.from({ length: COPIES }, () => record));
    plan.push(...shuffle(wave, random));
  }
  return plan;
}

let clock = 0;

async function sendOne(worker: URL, { tenant, key, fault }: Send): Promise<Answer> {
  const sentAt = clock++;
  const response = await fetch(new URL("/orders", worker), {
    method: "POST",
    headers: { authorization: tenant, "idempotency-key": key, "content-type": "application/json", "demo-tag": TAG, ...fault },
    body: JSON.stringify({ tenant, key }),
  });
  const body = (await response.json()) as Answer["body"];
  return {
    tenant,
    key,
    fault,
    sentAt,
    answeredAt: clock++,
    status: response.status,
    replayed: response.headers.get("idempotent-replayed") === "true",
    body,
  };
}

/** Sends the plan to the Worker with `IN_FLIGHT` requests at a time. */
async function runStorm(worker: URL, plan: Send[]): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  const lane = async () => {
    while (next < plan.length) {
      const send = plan[next++] as Send;
      answers.push(await sendOne(worker, send));
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return answers;
}

describe("a storm of retries", () => {
  it("executes each (tenant, key) exactly once and gives every client its own key's one response", { timeout: 180_000 }, async () => {
    const plan = stormPlan();
    expect(plan).toHaveLength(TENANTS.length * KEYS_PER_TENANT * COPIES);

    const answers = await runStorm(stack().worker.url, plan);

    // Nothing lost: one successful answer per request.
    expect(answers).toHaveLength(plan.length);
    expect(answers.filter((a) => a.status !== 201)).toEqual([]);

    // Nothing crossed: every body belongs to the key and tenant that asked.
    expect(answers.filter((a) => a.body.tenant !== a.tenant || a.body.key !== a.key)).toEqual([]);

    // One response per record: its ten answers share one order, exactly one of them came from the origin.
    const byRecord = Map.groupBy(answers, (a) => `${a.tenant} ${a.key}`);
    expect(byRecord.size).toBe(TENANTS.length * KEYS_PER_TENANT);
    for (const [record, copies] of byRecord) {
      expect(copies, record).toHaveLength(COPIES);
      expect(new Set(copies.map((a) => a.body.id)).size, record).toBe(1);
      expect(copies.filter((a) => !a.replayed).length, record).toBe(1);
    }
    // The copies really raced: for most records, a copy was sent before another copy had its answer.
    const raced = [...byRecord.values()].filter((copies) => {
      const firstAnswer = Math.min(...copies.map((a) => a.answeredAt));
      return copies.filter((a) => a.sentAt < firstAnswer).length > 1;
    });
    expect(raced.length).toBeGreaterThan(byRecord.size / 2);

    // Distinct records got distinct orders: the same key name of two tenants never met.
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(byRecord.size);

    // The origin executed exactly once per record, and under the caller it was meant for.
    const executed = stack().origin.received.filter((r) => r.tag === TAG);
    expect(executed).toHaveLength(byRecord.size);
    const executedRecords = new Set(
      executed.map((r) => {
        const body = JSON.parse(r.body) as Send;
        expect(r.headers.authorization).toBe(body.tenant);
        return `${body.tenant} ${body.key}`;
      }),
    );
    expect(executedRecords).toEqual(new Set(byRecord.keys()));
  });
});

/** What each fault does to a key's ten copies: how often the origin runs it, and what every copy is told. */
const FAULTS: { headers: Record<string, string>; executions: 0 | 1; status: number; type: string; replays: boolean }[] = [
  { headers: { "demo-break": "1" }, executions: 1, status: 502, type: "outcome-unknown", replays: true },
  { headers: { "demo-reset": "1" }, executions: 1, status: 502, type: "outcome-unknown", replays: true },
  { headers: { "demo-hang": "1" }, executions: 1, status: 504, type: "outcome-unknown", replays: true },
  { headers: { "demo-status": "999" }, executions: 1, status: 502, type: "outcome-unknown", replays: true },
  { headers: { "demo-edge-status": "520" }, executions: 1, status: 502, type: "outcome-unknown", replays: true },
  { headers: { "demo-edge-status": "524" }, executions: 1, status: 504, type: "outcome-unknown", replays: true },
  // Never began: nothing to remember, so every copy is told to retry, and none runs.
  { headers: { "demo-edge-status": "521" }, executions: 0, status: 502, type: "origin-unreachable", replays: false },
];
/** Keys of the fault storm per tenant: half of them healthy, the rest spread over the faults. */
const FAULT_STORM_KEYS = 98;
const faultOf = (i: number) => FAULTS[i % (2 * FAULTS.length)];

describe("a storm with a share of its keys hitting each origin fault", () => {
  it("never executes a key twice, and tells all ten copies of a failed key the same", { timeout: 180_000 }, async () => {
    const plan = stormPlan(FAULT_STORM_KEYS, (i) => faultOf(i)?.headers);
    expect(plan).toHaveLength(TENANTS.length * FAULT_STORM_KEYS * COPIES);
    const answers = await runStorm(faultStack().worker.url, plan);
    expect(answers).toHaveLength(plan.length);

    const executed = Map.groupBy(
      faultStack().origin.received.filter((r) => r.tag === TAG),
      (r) => {
        const body = JSON.parse(r.body) as Send;
        return `${body.tenant} ${body.key}`;
      },
    );
    const byRecord = Map.groupBy(answers, (a) => `${a.tenant} ${a.key}`);
    expect(byRecord.size).toBe(TENANTS.length * FAULT_STORM_KEYS);
    for (const [record, copies] of byRecord) {
      const fault = faultOf(Number(record.split("order-")[1]));
      const runs = executed.get(record)?.length ?? 0;
      expect(copies, record).toHaveLength(COPIES);
      if (!fault) {
        expect(runs, record).toBe(1);
        expect(copies.map((a) => a.status)).toEqual(Array(COPIES).fill(201));
        expect(new Set(copies.map((a) => a.body.id)).size, record).toBe(1);
        expect(copies.filter((a) => !a.replayed).length, record).toBe(1);
        continue;
      }
      expect(runs, record).toBe(fault.executions);
      expect(
        copies.map((a) => [a.status, a.body.type]),
        record,
      ).toEqual(Array(COPIES).fill([fault.status, `https://idem.dev/problems/${fault.type}`]));
      // An unknown outcome is remembered: one copy met the failure, the nine others were told what Idem remembered.
      expect(copies.filter((a) => !a.replayed).length, record).toBe(fault.replays ? 1 : COPIES);
    }
    // Executions in all: one per healthy or unknown-outcome key, none for keys that never began.
    const expected = [...byRecord.keys()].reduce((n, record) => n + (faultOf(Number(record.split("order-")[1]))?.executions ?? 1), 0);
    expect([...executed.values()].flat()).toHaveLength(expected);
  });
});
