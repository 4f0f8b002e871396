/**
 * What each path costs in Durable Object billing units (docs/storage-schema.md,
 * "What each write costs"): rows read and written, alarms set, object
 * requests. The counts are deterministic, so they are asserted here;
 * `npm run bench:cost` runs this file and prints them with dollars per million.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, type TaskMeta } from "vitest";
import type { ConfigInput } from "../src/config/schema.ts";
import { droppedAt } from "../src/objects/record-schema.ts";
import { freshAccounts, posRequest, sale } from "./fixtures/erply-dedup-cases.ts";
import { advanceClockPast } from "./support/clock.ts";
import { type Bill, measure } from "./support/cost-ledger.ts";
import { bulkAnswer, bulkRequest, newAccount } from "./support/erply-client.ts";
import { clientRequest, gatewayFor, newTag, originLog } from "./support/gateway.ts";
import { locateKeyRecord, readKeyRecord } from "./support/key-records.ts";

declare module "vitest" {
  interface TaskMeta {
    /** The path's bill, for bench/cost.ts. */
    bill?: Bill;
  }
}

const config = {
  // One shard: every key of this file lands in one object, as keys do in a busy shard.
  keyspace: { strategy: "sharded" as const, shards: 1 },
  routes: [
    { name: "orders", path: "/orders" },
    { name: "edit-order", path: "/echo/orders/:id", methods: ["PATCH"], document: { id: "path:id", group: "order" } },
    { name: "delete-order", path: "/echo/orders/:id", methods: ["DELETE"], document: { id: "path:id", group: "order", delete: true } },
    {
      name: "sales",
      path: "/api/",
      methods: ["POST"],
      scope: ["param:clientCode", "param:sessionKey"],
      dedup: [
        {
          name: "sale",
          prerequisites: ["param:invoiceNo", "param:date", "param:time", "param:type"],
          compare: ["param:invoiceNo", "param:date", "param:time", "param:type"],
          items: { fields: ["param:productID{n}", "param:amount{n}"] },
        },
      ],
    },
  ],
};
const send = gatewayFor(config);
const auth = "Bearer cost-client";
const order = (tag: string, key: string | undefined, json: unknown = { item: "lamp" }, headers: Record<string, string> = {}) =>
  send(clientRequest("/orders", { tag, key, auth, json, headers }));

/** Measures `work` as the path `task` names, and keeps the bill for the report. */
async function billOf(meta: TaskMeta, work: () => Promise<unknown>): Promise<Bill> {
  const { bill } = await measure(work);
  meta.bill = bill;
  return bill;
}

describe("what each path costs", () => {
  const tag = newTag();

  it("no key", async ({ task }) => {
    const bill = await billOf(task.meta, () => order(tag, undefined));
    expect(bill).toEqual({ objectRequests: 0, rowsRead: 0, rowsWritten: 0, alarmsSet: 0 });
  });

  it("first execution", async ({ task }) => {
    // Another key first: the shard then has this hour's table and its alarm, as a busy shard does.
    await order(tag, `warm-${tag}`);
    const bill = await billOf(task.meta, () => order(tag, `first-${tag}`));
    // The in-flight insert and the completion; no index entry, no alarm.
    expect(bill).toMatchObject({ objectRequests: 1, rowsWritten: 2, alarmsSet: 0 });
  });

  it("replay", async ({ task }) => {
    const bill = await billOf(task.meta, () => order(tag, `first-${tag}`));
    expect(bill).toMatchObject({ objectRequests: 1, rowsWritten: 0, alarmsSet: 0 });
  });

  it("mismatch", async ({ task }) => {
    const bill = await billOf(task.meta, async () => expect((await order(tag, `first-${tag}`, { item: "chair" })).status).toBe(422));
    expect(bill).toMatchObject({ objectRequests: 1, rowsWritten: 0 });
  });

  it("wait, then replay (two concurrent copies)", async ({ task }) => {
    const key = `wait-${tag}`;
    const bill = await billOf(task.meta, () => Promise.all([order(tag, key, {}, { "demo-delay": "300" }), order(tag, key)]));
    expect(bill).toMatchObject({ objectRequests: 2, rowsWritten: 2, alarmsSet: 0 });
  });

  it("unknown outcome", async ({ task }) => {
    const bill = await billOf(task.meta, async () => expect((await order(tag, `unknown-${tag}`, {}, { "demo-reset": "1" })).status).toBe(502));
    expect(bill).toMatchObject({ objectRequests: 1, rowsWritten: 2, alarmsSet: 0 });
  });

  it("document edit guard", async ({ task }) => {
    const bill = await billOf(task.meta, () => send(clientRequest(`/echo/orders/o-${tag}`, { tag, auth, method: "PATCH", json: { n: 1 } })));
    expect(bill).toEqual({ objectRequests: 1, rowsRead: 0, rowsWritten: 0, alarmsSet: 0 });
  });

  it("document delete guard", async ({ task }) => {
    const bill = await billOf(task.meta, () => send(clientRequest(`/echo/orders/o-${tag}`, { tag, auth, method: "DELETE" })));
    expect(bill).toEqual({ objectRequests: 1, rowsRead: 0, rowsWritten: 0, alarmsSet: 0 });
  });

  it("dedup (a first document sent without a key)", async ({ task }) => {
    const bill = await billOf(task.meta, () => send(posRequest("https://idem.test", sale({ invoiceNo: `C-${tag}` }), freshAccounts(), { tag })));
    // One shard, but a dedup record of a new caller scope: the same two rows.
    expect(bill).toMatchObject({ objectRequests: 1, rowsWritten: 2 });
  });

  it("a bulk request of 5 calls (Erply's shipped config, one shard)", async ({ task }) => {
    // The shipped Erply config, with its records in one shard that already holds this hour's table.
    const erply = gatewayFor({ ...(env.ERPLY_IDEM_CONFIG as Omit<ConfigInput, "origin">), origin: env.ERPLY_ORIGIN_URL, keyspace: config.keyspace });
    const account = newAccount();
    const saleCall = (requestID: number) => ({
      requestName: "saveSalesDocument",
      requestID,
      invoiceNo: `B-${tag}-${requestID}`,
      date: "2026-12-01",
      time: "10:00:00",
      type: "CASHINVOICE",
      productID1: "5",
      amount1: "1",
    });
    const bulk = (calls: readonly ReturnType<typeof saleCall>[]) => erply(bulkRequest("https://idem.test", account, calls, { tag })).then(bulkAnswer);
    await bulk([saleCall(0)]);
    const bill = await billOf(task.meta, () => bulk([1, 2, 3, 4, 5].map(saleCall)));
    // Two rows per call's record, one object request for the whole bulk request.
    expect(bill).toMatchObject({ objectRequests: 1, rowsWritten: 10, alarmsSet: 0 });
  });

  it("expiry", async ({ task }) => {
    const location = await locateKeyRecord(config, "orders", `first-${tag}`, auth);
    const record = await readKeyRecord(location);
    advanceClockPast(droppedAt(record?.expiresAt ?? 0));
    const bill = await billOf(task.meta, () => runDurableObjectAlarm(location.stub));
    // Whole tables dropped: no row written, however many records they held.
    expect(bill).toMatchObject({ objectRequests: 1, rowsWritten: 0 });
    expect(await readKeyRecord(location)).toBeUndefined();
    expect(await originLog(tag)).not.toHaveLength(0);
  });
});
