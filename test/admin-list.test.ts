/**
 * The admin API's list of records by state (`GET /__idem/records?state=…`),
 * inside workerd on real Durable Object storage: records in many shards,
 * paged through with the cursor until it is null, each state on its own.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConfigInput } from "../src/config/schema.ts";
import { problemType } from "../src/errors/problem-docs.ts";
import type { KeyObject } from "../src/objects/key-object.ts";
import { clientRequest, gatewayFor, newTag, originReceived } from "./support/gateway.ts";
import { captureLogs } from "./support/logs.ts";

const TOKEN = "0123456789abcdef0123456789abcdef-list";
// More shards than one page visits (32), so a full listing takes several pages even with few records.
const SHARDS = 40;
const config: Omit<ConfigInput, "origin"> = {
  keyspace: { strategy: "sharded", shards: SHARDS },
  originTimeoutMs: 5_000,
  routes: [{ name: "orders", path: "/orders" }],
};
const send = gatewayFor(config, { ADMIN_TOKEN: TOKEN });

interface Listed {
  record: string;
  keyObject: string;
  route: string;
  state: string;
  running: boolean;
  response: { status: number } | null;
  outcome?: { failure: string };
}
interface Page {
  records: Listed[];
  cursor: string | null;
}

let logs: ReturnType<typeof captureLogs>;
beforeEach(() => {
  logs = captureLogs();
});
afterEach(() => logs.restore());

function admin(path: string): Promise<Response> {
  return send(new Request(`https://idem.test/__idem${path}`, { headers: { authorization: `Bearer ${TOKEN}` } }));
}

/** Sends a keyed order and returns the record ID its decision line names. */
async function order(tag: string, key: string, headers: Record<string, string> = {}): Promise<string> {
  logs.clear();
  const response = await send(clientRequest("/orders", { tag, key, json: { item: "lamp" }, headers }));
  await response.arrayBuffer();
  return logs.lines("idem.decision")[0]?.record as string;
}

/** Every page of one list, following the cursor until it is null. */
async function allPages(state: string, limit: number): Promise<Page[]> {
  const pages: Page[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ state, limit: String(limit), ...(cursor === null ? {} : { cursor }) });
    const response = await admin(`/records?${query}`);
    expect(response.status).toBe(200);
    const page = (await response.json()) as Page;
    pages.push(page);
    cursor = page.cursor;
  } while (cursor !== null && pages.length < 100);
  return pages;
}

const shardOf = (record: string) => Number.parseInt(record.slice(0, 8), 16) % SHARDS;

describe("listing records by state across every shard", () => {
  const completed: string[] = [];
  const unknown: string[] = [];

  it("pages through every completed record once, in pages no larger than the limit", async () => {
    const tag = newTag();
    for (let i = 0; i < 14; i++) completed.push(await order(tag, `list-completed-${tag}-${i}`));
    expect(new Set(completed.map(shardOf)).size).toBeGreaterThan(5);
    const pages = await allPages("completed", 3);
    expect(pages.at(-1)?.cursor).toBeNull();
    for (const page of pages) expect(page.records.length).toBeLessThanOrEqual(3);
    const listed = pages.flatMap((page) => page.records);
    expect(listed.map((r) => r.record).sort()).toEqual([...completed].sort());
    for (const r of listed) {
      expect(r).toMatchObject({ state: "completed", route: "orders", running: false, response: { status: 201 } });
      expect(r.keyObject).toBe(`shard-${shardOf(r.record)}`);
    }
  });

  it("lists the outcome-unknown records alone, with what failed, as GET /records/{id} shows each", async () => {
    const tag = newTag();
    for (let i = 0; i < 4; i++) unknown.push(await order(tag, `list-unknown-${tag}-${i}`, { "demo-reset": "1" }));
    const listed = (await allPages("outcome-unknown", 500)).flatMap((page) => page.records);
    expect(listed.map((r) => r.record).sort()).toEqual([...unknown].sort());
    const [first] = listed;
    expect(first).toMatchObject({ state: "outcome-unknown", response: null, outcome: { failure: "origin-unreachable" } });
    expect(first).toEqual(await (await admin(`/records/${first?.record}`)).json());
  });

  it("lists a request still at the origin as in-flight and running; once answered, it is listed as completed", async () => {
    const tag = newTag();
    const key = `list-in-flight-${tag}`;
    const slow = send(clientRequest("/orders", { tag, key, json: { item: "lamp" }, headers: { "demo-delay": "1000" } }));
    await originReceived(tag, 1);
    const running = (await allPages("in-flight", 100)).flatMap((page) => page.records);
    expect(running).toHaveLength(1);
    expect(running[0]).toMatchObject({ state: "in-flight", running: true, response: null });
    expect((await slow).status).toBe(201);
    expect((await allPages("in-flight", 100)).flatMap((page) => page.records)).toHaveLength(0);
    const done = (await allPages("completed", 500)).flatMap((page) => page.records);
    expect(done.map((r) => r.record)).toContain(running[0]?.record);
  });

  it("leaves a shard that never stored anything without storage", async () => {
    const used = new Set([...completed, ...unknown].map(shardOf));
    const empty = Array.from({ length: SHARDS }, (_, shard) => shard).find((shard) => !used.has(shard));
    await allPages("completed", 500);
    const stub = env.KEYS.get(env.KEYS.idFromName(`shard-${empty}`));
    const tables = await runInDurableObject(stub, (_object: KeyObject, state) => state.storage.sql.exec("SELECT name FROM sqlite_master").toArray());
    expect(tables.filter((t) => !String(t.name).startsWith("_cf"))).toEqual([]);
  });
});

describe("refused list requests", () => {
  it.each([
    ["no state", "/records"],
    ["an unknown state", "/records?state=expired"],
    ["a limit of 0", "/records?state=completed&limit=0"],
    ["a limit past 500", "/records?state=completed&limit=501"],
    ["a cursor of another state's list", "/records?state=completed&cursor=in-flight.3."],
    ["a cursor past the last shard", `/records?state=completed&cursor=completed.${SHARDS}.`],
    ["a made-up cursor", "/records?state=completed&cursor=abc"],
  ])("%s: 400 admin-invalid-request", async (_, path) => {
    const response = await admin(path);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { type: string }).type).toBe(problemType("admin-invalid-request"));
  });

  it("a per-key keyspace cannot be listed: 400, saying why", async () => {
    const perKey = gatewayFor({ ...config, keyspace: { strategy: "per-key" } }, { ADMIN_TOKEN: TOKEN });
    const response = await perKey(new Request("https://idem.test/__idem/records?state=completed", { headers: { authorization: `Bearer ${TOKEN}` } }));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { detail: string }).detail).toContain("sharded");
  });
});
