import { listDurableObjectIds, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ConfigInput } from "../src/config/schema.ts";
import { droppedAt } from "../src/objects/record-schema.ts";
import { type Accounts, freshAccounts, type PosCall, posRequest, sale } from "./fixtures/erply-dedup-cases.ts";
import { advanceClockPast } from "./support/clock.ts";
import { clientRequest, gatewayFor, newTag, originLog, originReceived } from "./support/gateway.ts";
import { storedRows } from "./support/key-records.ts";

/** When the one record of a per-key object expires. */
function expiryOf(stub: DurableObjectStub): Promise<number> {
  return runInDurableObject(stub, (_object, state) => storedRows(state)[0]?.expires_at ?? 0);
}

// The lifecycle of a dedup record, on the generic demo origin, which can answer any HTTP status (Demo-Status)
// and answers {"executed": n, …}. Erply's own rules, as shipped, run in test/dedup-erply.test.ts.
const saleRule = {
  name: "sale",
  prerequisites: ["param:invoiceNo", "param:date", "param:time", "param:type"],
  compare: ["param:invoiceNo", "param:date", "param:time", "param:type"],
  items: { fields: ["param:productID{n}", "param:amount{n}"] },
};
type DedupRuleInput = NonNullable<ConfigInput["routes"][number]["dedup"]>[number];

const salesRoute = (changes: Partial<DedupRuleInput> = {}) => ({
  name: "sales",
  path: "/api/",
  methods: ["POST"],
  scope: ["param:clientCode", "param:sessionKey"],
  dedup: [{ ...saleRule, ...changes }],
});
// These tests find a record by the object it created, so each record gets its own object.
const perKey = { strategy: "per-key" as const };
const send = gatewayFor({ keyspace: perKey, routes: [salesRoute()] });

function saleRequest(call: PosCall, tag: string, accounts: Accounts, headers: Record<string, string> = {}): Request {
  return posRequest("https://idem.test", call, accounts, { tag, headers });
}

interface Echo {
  executed: number;
}

/** Sends one request and returns the KeyObject it created (the only new one). */
async function sendAndFindRecordObject(request: Request): Promise<{ response: Response; stub: DurableObjectStub }> {
  const before = new Set((await listDurableObjectIds(env.KEYS)).map((id) => id.toString()));
  const response = await send(request);
  const created = (await listDurableObjectIds(env.KEYS)).filter((id) => !before.has(id.toString()));
  expect(created).toHaveLength(1);
  return { response, stub: env.KEYS.get(created[0] as DurableObjectId) };
}

describe("concurrent copies", () => {
  it("identical sales sent at once: the origin creates one, every answer carries its ID", async () => {
    const tag = newTag();
    const accounts = freshAccounts();
    // The delay keeps the first at the origin while the others arrive, so they wait for it.
    const answers = await Promise.all(Array.from({ length: 12 }, () => send(saleRequest(sale(), tag, accounts, { "demo-delay": "200" }))));
    const bodies = await Promise.all(answers.map((answer) => answer.json<Echo>()));
    expect(await originLog(tag)).toHaveLength(1);
    expect(new Set(bodies.map((body) => body.executed)).size).toBe(1);
    expect(answers.filter((answer) => answer.headers.get("idempotent-replayed") === "true")).toHaveLength(11);
  });

  it("copies waiting on a first attempt that fails: one of them is forwarded, the others get its answer", async () => {
    const tag = newTag();
    const accounts = freshAccounts();
    const failing = send(saleRequest(sale(), tag, accounts, { "demo-status": "503", "demo-delay": "300" }));
    await originReceived(tag, 1);
    const waiting = Array.from({ length: 6 }, () => send(saleRequest(sale(), tag, accounts, { "demo-delay": "50" })));
    const [first, ...copies] = await Promise.all([failing, ...waiting]);
    expect(first.status).toBe(503);
    expect(copies.map((copy) => copy.status)).toEqual(Array(6).fill(200));
    const bodies = await Promise.all(copies.map((copy) => copy.json<Echo>()));
    expect(new Set(bodies.map((body) => body.executed)).size).toBe(1);
    expect(await originLog(tag)).toHaveLength(2);
  });
});

describe("the window", () => {
  it("forwards the same sale again once its record has expired, even before the alarm ran", async () => {
    const tag = newTag();
    const accounts = freshAccounts();
    const { stub } = await sendAndFindRecordObject(saleRequest(sale(), tag, accounts));
    advanceClockPast(await expiryOf(stub));
    const later = await send(saleRequest(sale(), tag, accounts));
    expect(later.headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(2);
    // The fresh record is the original for the next copies.
    const copy = await send(saleRequest(sale(), tag, accounts));
    expect(copy.headers.get("idempotent-replayed")).toBe("true");
    expect(await originLog(tag)).toHaveLength(2);
  });

  it("lets the alarm delete an expired record and everything of its object", async () => {
    const tag = newTag();
    const accounts = freshAccounts();
    const { stub } = await sendAndFindRecordObject(saleRequest(sale(), tag, accounts));
    const countRecords = () => runInDurableObject(stub, (_object, state) => storedRows(state).length);
    expect(await countRecords()).toBe(1);
    advanceClockPast(droppedAt(await expiryOf(stub)));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await countRecords()).toBe(0);
    expect(await runInDurableObject(stub, (_object, state) => state.storage.getAlarm())).toBeNull();

    const later = await send(saleRequest(sale(), tag, accounts));
    expect(later.headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(2);
  });

  it("is 24 h by default and windowSeconds when set", async () => {
    const tag = newTag();
    const sendShort = gatewayFor({ keyspace: perKey, routes: [salesRoute({ windowSeconds: 600 })] });
    const lifetime = (stub: DurableObjectStub) =>
      runInDurableObject(stub, (_object, state) => storedRows(state).map((row) => row.expires_at - row.created_at)[0]);

    const byDefault = await sendAndFindRecordObject(saleRequest(sale(), tag, freshAccounts()));
    expect(await lifetime(byDefault.stub)).toBe(86_400_000);

    const before = new Set((await listDurableObjectIds(env.KEYS)).map((id) => id.toString()));
    await sendShort(saleRequest(sale(), tag, freshAccounts()));
    const [created] = (await listDurableObjectIds(env.KEYS)).filter((id) => !before.has(id.toString()));
    expect(await lifetime(env.KEYS.get(created as DurableObjectId))).toBe(600_000);
  });
});

describe("answers never stored as the original", () => {
  it.each([400, 404, 422, 429, 500, 503])("a first answer %i is not stored: the next copy is forwarded", async (status) => {
    const tag = newTag();
    const accounts = freshAccounts();
    const failed = await send(saleRequest(sale(), tag, accounts, { "demo-status": String(status) }));
    expect(failed.status).toBe(status);
    const retry = await send(saleRequest(sale(), tag, accounts));
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    const copy = await send(saleRequest(sale(), tag, accounts));
    expect(copy.headers.get("idempotent-replayed")).toBe("true");
    expect(await originLog(tag)).toHaveLength(2);
  });

  it("follows neverStoreStatuses when a rule sets it", async () => {
    const tag = newTag();
    const sendLenient = gatewayFor({
      routes: [
        {
          name: "json-sales",
          path: "/echo/sales",
          dedup: [{ name: "sale", prerequisites: ["body:invoiceNo"], compare: ["body:invoiceNo"], neverStoreStatuses: ["500-599"] }],
        },
      ],
    });
    const first = await sendLenient(clientRequest("/echo/sales", { tag, json: { invoiceNo: "7" }, headers: { "demo-status": "422" } }));
    expect(first.status).toBe(422);
    const copy = await sendLenient(clientRequest("/echo/sales", { tag, json: { invoiceNo: "7" } }));
    expect(copy.status).toBe(422);
    expect(copy.headers.get("idempotent-replayed")).toBe("true");
    expect(await originLog(tag)).toHaveLength(1);
  });

  describe("successWhen: conditions on the origin's answer", () => {
    // POST /orders echoes the request's JSON into the created order, so each test chooses the answer's status field.
    const sendOrders = gatewayFor({
      routes: [
        {
          name: "orders",
          path: "/orders",
          dedup: [
            {
              name: "order",
              prerequisites: ["body:ref"],
              compare: ["body:ref"],
              successWhen: { "body:/status/responseStatus": "ok", "header:content-type": "application/json" },
            },
          ],
        },
      ],
    });

    it("an answer that meets them is stored and replayed", async () => {
      const tag = newTag();
      const order = { ref: `r-${tag}`, status: { responseStatus: "ok" } };
      const first = await sendOrders(clientRequest("/orders", { tag, json: order }));
      const copy = await sendOrders(clientRequest("/orders", { tag, json: order }));
      expect(copy.headers.get("idempotent-replayed")).toBe("true");
      expect(await copy.text()).toBe(await first.text());
      expect(await originLog(tag)).toHaveLength(1);
    });

    it("a 2xx answer that does not meet them (an error in a 200) is not stored", async () => {
      const tag = newTag();
      const order = { ref: `r-${tag}`, status: { responseStatus: "error" } };
      const first = await sendOrders(clientRequest("/orders", { tag, json: order }));
      expect(first.status).toBe(201);
      const copy = await sendOrders(clientRequest("/orders", { tag, json: order }));
      expect(copy.headers.get("idempotent-replayed")).toBeNull();
      expect(await originLog(tag)).toHaveLength(2);
    });

    it("an answer without the field is not stored", async () => {
      const tag = newTag();
      const order = { ref: `r-${tag}` };
      await sendOrders(clientRequest("/orders", { tag, json: order }));
      await sendOrders(clientRequest("/orders", { tag, json: order }));
      expect(await originLog(tag)).toHaveLength(2);
    });

    it("an answer too large to read whole is not stored, though it says ok", async () => {
      const tag = newTag();
      const sendSmall = gatewayFor({
        routes: [
          {
            name: "orders",
            path: "/orders",
            maxStoredResponseBytes: 200,
            dedup: [{ name: "order", prerequisites: ["body:ref"], compare: ["body:ref"], successWhen: { "body:/status/responseStatus": "ok" } }],
          },
        ],
      });
      const order = { ref: `r-${tag}`, status: { responseStatus: "ok" }, padding: "x".repeat(500) };
      const first = await sendSmall(clientRequest("/orders", { tag, json: order }));
      expect((await first.json<{ padding: string }>()).padding).toHaveLength(500);
      const copy = await sendSmall(clientRequest("/orders", { tag, json: order }));
      expect(copy.headers.get("idempotent-replayed")).toBeNull();
      expect(await originLog(tag)).toHaveLength(2);
    });
  });
});
