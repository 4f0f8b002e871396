/**
 * The model check of src/record/rules.model.test.ts, against the real
 * KeyObject: fast-check drives one key (a per-key object) and a shard of
 * three keys (one object) through random interleavings of concurrent first
 * requests and retries, origin outcomes (answered, a stored 500, a 429 that
 * releases, never began, unknown, hanging past the timeout), graceful
 * eviction and crashes, locks and TTLs running out, the expiry alarm, purges
 * and resolves, in front of the demo origin, which logs every execution.
 * After every step it checks docs/faults.md's invariants ("The model").
 * Time passing is simulated by crashing the object and moving its stored
 * lock and expiry into the past, so no step waits for a clock; a fixed small
 * budget keeps it fast. Failures print the shrunk history.
 */
import { abortAllDurableObjects, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ConfigInput } from "../src/config/schema.ts";
import { clientRequest, gatewayFor, newTag, originLog } from "./support/gateway.ts";
import { type KeyRecordLocation, locateKeyRecord, readKeyRecord } from "./support/key-records.ts";

/** What the demo origin does with a request, by header (demo/orders-origin.ts). */
const OUTCOMES = {
  answered: {},
  "answered-500": { "demo-status": "500" },
  "answered-429": { "demo-status": "429" },
  "never-began": { "demo-edge-status": "521" },
  unknown: { "demo-reset": "1" },
  hang: { "demo-hang": "1" },
} as const;
type OriginOutcome = keyof typeof OUTCOMES;

const routes: ConfigInput["routes"] = [
  { name: "orders", path: "/orders" },
  { name: "releasing", path: "/releasing", onUnknownOutcome: "release" },
];
const timing = { originTimeoutMs: 300, defaults: { lockTimeoutMs: 2_000, waitTimeoutMs: 1_000 } };
const layouts = {
  "one key": { keys: 1, config: { ...timing, keyspace: { strategy: "per-key" as const }, routes } },
  "a shard of three keys": { keys: 3, config: { ...timing, keyspace: { strategy: "sharded" as const, shards: 1 }, routes } },
};

class Violation extends Error {}

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Violation(message);
}

interface Sent {
  n: number;
  key: string;
  outcome: OriginOutcome;
  life: number;
  response: Promise<Response>;
}

/** One run: the gateway, its keys, what was sent and what the invariants need to remember. */
class System {
  readonly tag = newTag();
  readonly send;
  readonly keys: string[];
  readonly #locations = new Map<string, KeyRecordLocation>();
  #sent: Sent[] = [];
  #pending: Sent[] = [];
  #requests = 0;
  /** A key's life moves on when it is legitimately freed: its TTL over, or purged. */
  readonly #life = new Map<string, number>();
  /** The stored first answer of a key's life: every replay must equal it byte for byte. */
  readonly #first = new Map<string, string>();

  constructor(
    readonly config: Omit<ConfigInput, "origin">,
    readonly route: "orders" | "releasing",
    keys: number,
  ) {
    this.send = gatewayFor(config);
    this.keys = Array.from({ length: keys }, (_, i) => `${this.tag}-k${i}`);
  }

  async location(key: string): Promise<KeyRecordLocation> {
    let location = this.#locations.get(key);
    if (!location) {
      location = await locateKeyRecord(this.config, this.route, key);
      this.#locations.set(key, location);
    }
    return location;
  }

  #lifeOf(key: string): string {
    return `${key}#${this.#life.get(key) ?? 0}`;
  }

  #freed(key: string): void {
    this.#life.set(key, (this.#life.get(key) ?? 0) + 1);
  }

  /**
   * Sends a request without waiting for its answer. One that is to hang is
   * followed until it is at the origin (or answered without it), so that a
   * crash or eviction after it finds the exchange running.
   */
  async request(key: string, outcome: OriginOutcome): Promise<void> {
    const n = ++this.#requests;
    const headers = { ...OUTCOMES[outcome], "model-request": String(n) };
    const response = this.send(clientRequest(`/${this.route}`, { tag: this.tag, key, json: { key }, headers }));
    const sent = { n, key, outcome, life: this.#life.get(key) ?? 0, response };
    this.#pending.push(sent);
    this.#sent.push(sent);
    if (outcome === "hang") await Promise.race([response, this.#received(n)]);
  }

  async #received(n: number): Promise<void> {
    const arrived = async () => (await originLog(this.tag)).some((entry) => entry.headers["model-request"] === String(n));
    while (!(await arrived())) await scheduler.wait(10);
  }

  /** Waits for every request sent so far and checks each answer, then the origin's log. */
  async settle(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    const answers = await Promise.all(batch.map(async (sent) => ({ sent, ...(await this.#read(await sent.response)) })));
    for (const { sent, status, replayed, problem, body } of answers) {
      if (!replayed || problem) continue;
      const life = this.#lifeOf(sent.key);
      const first = this.#first.get(life);
      if (first === undefined) this.#first.set(life, body);
      else assert(body === first, `a replay of ${sent.key} (${status}) differs from its first answer`);
    }
    for (const { sent, replayed, problem, body, stored } of answers) {
      if (!replayed && !problem && stored) {
        const life = this.#lifeOf(sent.key);
        const first = this.#first.get(life);
        if (first === undefined) this.#first.set(life, body);
        else assert(body === first, `${sent.key} stored a second answer in one life`);
      }
    }
    for (const { sent, replayed, problem } of answers) {
      // An exchange that never began is never remembered as one whose outcome is unknown.
      if (sent.outcome === "never-began") assert(replayed || problem !== "outcome-unknown", `${sent.key}: a never-began exchange kept as unknown`);
    }
    for (const key of this.keys) {
      // A never-began outcome frees the key: when every request of the batch was one that never begins at the
      // origin and one was told so (the others replayed, waited or were refused), no record holds the key.
      const mine = answers.filter((a) => a.sent.key === key);
      const allNeverBegin = mine.every((a) => a.sent.outcome === "never-began" && a.problem !== "coordinator-unavailable");
      if (mine.length > 0 && allNeverBegin && mine.some((a) => a.problem === "origin-unreachable")) {
        const record = await readKeyRecord(await this.location(key));
        assert(record === undefined || record.state !== "in_flight", `${key} still in flight after its exchange never began`);
      }
    }
    await this.#checkExecutions();
  }

  async #read(response: Response): Promise<{ status: number; replayed: boolean; problem?: string; body: string; stored: boolean }> {
    const body = await response.text();
    const problem = response.headers.get("content-type")?.startsWith("application/problem+json")
      ? (JSON.parse(body) as { type: string }).type.replace("urn:idem:problem:", "")
      : undefined;
    return {
      status: response.status,
      replayed: response.headers.get("idempotent-replayed") === "true",
      problem,
      body,
      stored: response.headers.has("idempotency-expires"),
    };
  }

  /** The origin ran each (record, TTL) at most once: a 429 says nothing happened; a never-began one never got there. */
  async #checkExecutions(): Promise<void> {
    const byNumber = new Map(this.#sent.map((s) => [String(s.n), s]));
    const counts = new Map<string, number>();
    for (const entry of await originLog(this.tag)) {
      const sent = byNumber.get(String(entry.headers["model-request"]));
      // A releasing route runs a request again after an unknown outcome: only answered executions count there.
      const released = this.route === "releasing" && (sent?.outcome === "unknown" || sent?.outcome === "hang");
      if (!sent || sent.outcome === "answered-429" || released) continue;
      const life = `${sent.key}#${sent.life}`;
      const count = (counts.get(life) ?? 0) + 1;
      counts.set(life, count);
      assert(count <= 1, `the origin executed ${life} ${count} times`);
    }
  }

  async evict(): Promise<void> {
    for (const key of this.keys) {
      try {
        await evictDurableObject((await this.location(key)).stub);
      } catch (error) {
        if (!String(error).includes("not currently running")) throw error;
      }
    }
    await this.settle();
  }

  async crash(): Promise<void> {
    await abortAllDurableObjects();
    // Stubs of the lost instances are broken; the next call gets a new one.
    this.#locations.clear();
    await this.settle();
  }

  /** Rewrites the key's stored record in whichever expiry bucket holds it (none: nothing, and no tables made); true when a row changed. */
  async #rewrite(key: string, sql: string, ...values: (string | number)[]): Promise<boolean> {
    const location = await this.location(key);
    return runInDurableObject(location.stub, (_object, state) => {
      const tables = state.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'records_*'")
        .toArray();
      return tables.reduce(
        (changed, { name }) => state.storage.sql.exec(sql.replace("records", name), ...values, location.id).rowsWritten > 0 || changed,
        false,
      );
    });
  }

  /**
   * The instance dies and its locks run out: nothing in flight stays so. A
   * request meeting a record whose lock has run out is never told
   * `in-progress`.
   */
  async locksRunOut(): Promise<number> {
    await this.crash();
    let lostKeys = 0;
    for (const key of this.keys) {
      const lost = await this.#rewrite(key, "UPDATE records SET lock_expires_at = ? WHERE id = ? AND state = 'in_flight'", Date.now() - 1);
      if (!lost) continue;
      lostKeys++;
      // A releasing route lets the retry take the record over and run.
      if (this.route === "releasing") this.#freed(key);
      await this.request(key, "answered");
      const retry = this.#pending[0];
      if (retry) {
        const response = (await retry.response).clone();
        const problem = response.headers.get("content-type")?.startsWith("application/problem+json")
          ? ((await response.json()) as { type: string }).type
          : undefined;
        assert(problem !== "urn:idem:problem:in-progress", `${key} in progress past its lock`);
      }
      await this.settle();
    }
    return lostKeys;
  }

  /** The instance dies and every record's TTL runs out (lock too); then the alarm may sweep them. */
  async ttlRunsOut(): Promise<void> {
    await this.crash();
    for (const key of this.keys) {
      const past = Date.now() - 1;
      const sql = "UPDATE records SET expires_at = ?, lock_expires_at = CASE WHEN state = 'in_flight' THEN ? END WHERE id = ?";
      const had = await this.#rewrite(key, sql, past, past);
      if (had) this.#freed(key);
    }
  }

  async alarm(): Promise<void> {
    await this.settle();
    for (const key of this.keys) await runDurableObjectAlarm((await this.location(key)).stub);
  }

  async purge(key: string): Promise<void> {
    await this.settle();
    const { stub, id } = await this.location(key);
    const result = await stub.purge(id, { force: false });
    if (result.purged) this.#freed(key);
  }

  async resolve(key: string): Promise<void> {
    await this.settle();
    const { stub, id } = await this.location(key);
    const body = new TextEncoder().encode(JSON.stringify({ resolvedBy: "operator", key }));
    const result = await stub.resolve(id, { status: 201, headers: [["content-type", "application/json"]], body });
    if (result.resolved) this.#first.set(this.#lifeOf(key), new TextDecoder().decode(body));
  }
}

type Command = fc.AsyncCommand<object, System>;

function step(label: string, act: (system: System) => Promise<void> | void): Command {
  return { check: () => true, run: async (_model, system) => act(system), toString: () => label };
}

/** Histories every run starts with: the dangerous ones, so a budget this small never misses them. */
function examples(): [route: "orders" | "releasing", commands: Command[]][] {
  const k0 = (s: System) => s.keys[0] as string;
  const request = (o: OriginOutcome) => step(`request k0 ${o}`, (s) => s.request(k0(s), o));
  const history = [
    // An exchange at the origin when its object dies, the lock running out: never run again (or, releasing, taken over).
    [
      request("hang"),
      step("locks run out", async (s) => {
        await s.locksRunOut();
      }),
      request("answered"),
      step("settle", (s) => s.settle()),
    ],
    // The same, with its TTL running out instead: then a new request may run.
    [request("hang"), step("TTL runs out", (s) => s.ttlRunsOut()), step("alarm", (s) => s.alarm()), request("answered")],
    // Retries racing a first attempt that never begins, then one that answers.
    [request("never-began"), request("never-began"), step("settle", (s) => s.settle()), request("answered"), request("answered")],
    // An unknown outcome, an operator's resolve, a replay of it; a purge, a new run.
    [
      request("unknown"),
      step("resolve k0", (s) => s.resolve(k0(s))),
      request("answered"),
      step("purge k0", (s) => s.purge(k0(s))),
      request("answered"),
    ],
  ];
  return history.flatMap((cmds) => [["orders", cmds] as const, ["releasing", cmds] as const]).map(([route, cmds]) => [route, cmds]);
}

function commands(keys: number): fc.Arbitrary<Iterable<Command>> {
  const key = fc.nat({ max: keys - 1 });
  const outcome = fc.constantFrom<OriginOutcome>("answered", "answered", "answered-500", "answered-429", "never-began", "unknown", "hang", "hang");
  const request = fc.tuple(key, outcome).map(([k, o]) => step(`request k${k} ${o}`, (s) => s.request(s.keys[k] as string, o)));
  return fc.commands(
    [
      request,
      request,
      request,
      fc.constant(step("settle", (s) => s.settle())),
      fc.constant(step("evict", (s) => s.evict())),
      fc.constant(step("crash", (s) => s.crash())),
      fc.constant(
        step("locks run out", async (s) => {
          await s.locksRunOut();
        }),
      ),
      fc.constant(step("TTL runs out", (s) => s.ttlRunsOut())),
      fc.constant(step("alarm", (s) => s.alarm())),
      key.map((k) => step(`purge k${k}`, (s) => s.purge(s.keys[k] as string))),
      key.map((k) => step(`resolve k${k}`, (s) => s.resolve(s.keys[k] as string))),
    ],
    { maxCommands: 16, size: "max" },
  );
}

describe("model: the real KeyObject over random interleavings", () => {
  it("moves the lock of an attempt whose object died into the past (else the histories below would test nothing)", async () => {
    const system = new System(layouts["one key"].config, "orders", 1);
    await system.request(system.keys[0] as string, "hang");
    expect(await system.locksRunOut()).toBe(1);
  });

  it.each(Object.entries(layouts))(
    "%s: at most once per TTL, replays equal the first answer, nothing in flight past its lock, never-began frees the key",
    async (_name, { keys, config }) => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom<"orders" | "releasing">("orders", "releasing"), commands(keys), async (route, cmds) => {
          const system = new System(config, route, keys);
          await fc.asyncModelRun(() => ({ model: {}, real: system }), cmds);
          await system.settle();
        }),
        { numRuns: 40, examples: examples() },
      );
      expect(true).toBe(true);
    },
    60_000,
  );
});
