import { describe, expect, it } from "vitest";
import { erplyClient, erplyRequest, newAccount, oneAfterAnother, sleep } from "./support/erply-client.ts";
import { erplyProofs } from "./support/erply-proofs.ts";
import { erplyGateway } from "./support/gateway.ts";
import { newTag } from "./support/origin-log.ts";

const erply = erplyGateway();
const { call, calls, arrived, release } = erplyClient(() => erply);

erplyProofs(() => erply);

describe("Erply's error envelope", () => {
  it("answers HTTP 200 with exactly Erply's status block and null records", async () => {
    const tag = newTag();
    const sale = { ...newAccount(), request: "saveSalesDocument", temporaryUUID: newTag() };
    await call(sale, { tag });
    const before = Math.floor(Date.now() / 1000);
    const response = await erply.send(erplyRequest(erply.base, sale, { tag }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    const body = await response.json<{ status: Record<string, unknown>; records: unknown }>();
    expect(Object.keys(body)).toEqual(["status", "records"]);
    expect(body.records).toBeNull();
    expect(Object.keys(body.status)).toEqual([
      "request",
      "requestUnixTime",
      "responseStatus",
      "errorCode",
      "generationTime",
      "recordsTotal",
      "recordsInResponse",
    ]);
    expect(body.status).toMatchObject({
      request: "saveSalesDocument",
      responseStatus: "error",
      errorCode: 1206,
      recordsTotal: 0,
      recordsInResponse: 0,
    });
    expect(Number.isInteger(body.status.requestUnixTime)).toBe(true);
    expect(body.status.requestUnixTime).toBeGreaterThanOrEqual(before);
    expect(typeof body.status.generationTime).toBe("number");
  });
});

describe("temporaryUUID", () => {
  it.each([
    ["a character outside [A-Za-z0-9.-]", "pos_1"],
    ["129 characters", "a".repeat(129)],
  ])("refuses a key with %s with 1014 naming the field, without calling the API", async (_, temporaryUUID) => {
    const tag = newTag();
    const answer = await call({ ...newAccount(), request: "saveSalesDocument", temporaryUUID }, { tag });
    expect(answer.status).toMatchObject({ responseStatus: "error", errorCode: 1014, errorField: "temporaryUUID" });
    expect(await calls(tag)).toHaveLength(0);
  });

  it("accepts a key of 128 characters", async () => {
    const tag = newTag();
    const answer = await call({ ...newAccount(), request: "saveSalesDocument", temporaryUUID: `${"A.b-9".repeat(25)}xyz` }, { tag });
    expect(answer.status.responseStatus).toBe("ok");
  });

  it("does not burn the key when the API answers with an error (HTTP 200, responseStatus error)", async () => {
    const tag = newTag();
    const sale = { ...newAccount(), request: "saveSalesDocument", temporaryUUID: newTag() };
    const failed = await call(sale, { tag, headers: { "demo-error": "1002" } });
    expect(failed.status).toMatchObject({ responseStatus: "error", errorCode: 1002 });
    const retry = await call(sale, { tag });
    expect(retry.status.responseStatus).toBe("ok");
    expect(await calls(tag)).toHaveLength(2);
    expect((await call(sale, { tag })).status.errorCode).toBe(1206);
  });

  it("keeps the same key of two accounts apart", async () => {
    const tag = newTag();
    const temporaryUUID = newTag();
    for (const account of [newAccount(), newAccount()]) {
      expect((await call({ ...account, request: "saveSalesDocument", temporaryUUID }, { tag })).status.responseStatus).toBe("ok");
    }
    expect(await calls(tag)).toHaveLength(2);
  });

  it("treats a new sessionKey as a new caller (the documented cost of scoping records by session)", async () => {
    const tag = newTag();
    const account = newAccount();
    const sale = { request: "saveSalesDocument", temporaryUUID: newTag() };
    await call({ ...account, ...sale }, { tag });
    const afterRelogin = await call({ ...account, sessionKey: crypto.randomUUID(), ...sale }, { tag });
    expect(afterRelogin.status.responseStatus).toBe("ok");
    expect(await calls(tag)).toHaveLength(2);
  });

  it("reads the key from a JSON body the same as from the query string", async () => {
    const tag = newTag();
    const sale = { ...newAccount(), request: "saveSalesDocument", temporaryUUID: newTag() };
    expect((await call(sale, { tag, via: "json" })).status.responseStatus).toBe("ok");
    expect((await call(sale, { tag, via: "query" })).status.errorCode).toBe(1206);
    expect(await calls(tag)).toHaveLength(1);
  });
});

describe("document locks", () => {
  it("makes two sessions of one account editing one document take turns", async () => {
    const tag = newTag();
    const hold = newTag();
    const { clientCode } = newAccount();
    const edit = { clientCode, request: "saveSalesDocument", id: "8001" };
    const first = call({ ...edit, sessionKey: "terminal-1", notes: "terminal-1" }, { tag, headers: { "demo-hold": hold } });
    await arrived(tag, 1);
    const second = call({ ...edit, sessionKey: "terminal-2", notes: "terminal-2" }, { tag });
    await sleep(300);
    expect(await calls(tag)).toHaveLength(1);
    await release(hold);
    await Promise.all([first, second]);
    const received = await calls(tag);
    expect(received.map((c) => c.params.notes)).toEqual(["terminal-1", "terminal-2"]);
    expect(oneAfterAnother(received)).toBe(true);
  });

  it("does not serialize creates (saveSalesDocument without an id)", async () => {
    const tag = newTag();
    const hold = newTag();
    const create = { ...newAccount(), request: "saveSalesDocument", productID1: "1" };
    const pending = [call(create, { tag, headers: { "demo-hold": hold } }), call(create, { tag, headers: { "demo-hold": hold } })];
    // Both reach the API while neither has been answered.
    const both = await arrived(tag, 2);
    expect(both.every((c) => c.endedAt === undefined)).toBe(true);
    await release(hold);
    const ids = (await Promise.all(pending)).map((a) => a.records?.[0]?.invoiceID);
    expect(new Set(ids).size).toBe(2);
  });

  it("makes a delete of a sales document wait for an edit of it to finish (shared group)", async () => {
    const tag = newTag();
    const hold = newTag();
    const account = newAccount();
    const edit = call({ ...account, request: "saveSalesDocument", id: "8002" }, { tag, headers: { "demo-hold": hold } });
    await arrived(tag, 1);
    const remove = call({ ...account, request: "deleteSalesDocument", documentID: "8002" }, { tag });
    await sleep(300);
    expect(await calls(tag)).toHaveLength(1);
    await release(hold);
    await Promise.all([edit, remove]);
    const received = await calls(tag);
    expect(received.map((c) => c.call)).toEqual(["saveSalesDocument", "deleteSalesDocument"]);
    expect(oneAfterAnother(received)).toBe(true);
  });

  it.each([
    ["deleteSalesDocument", "documentID"],
    ["deletePurchaseDocument", "documentID"],
    ["deleteInventoryRegistration", "inventoryRegistrationID"],
    ["deleteInventoryTransfer", "inventoryTransferID"],
    ["deleteInventoryWriteOff", "inventoryWriteOffID"],
  ])("refuses a second %s of one document with 1204 while the first runs", async (request, idField) => {
    const tag = newTag();
    const hold = newTag();
    const remove = { ...newAccount(), request, [idField]: "8003" };
    const first = call(remove, { tag, headers: { "demo-hold": hold } });
    await arrived(tag, 1);
    expect((await call(remove, { tag })).status).toMatchObject({ request, errorCode: 1204 });
    await release(hold);
    expect((await first).status.responseStatus).toBe("ok");
    expect(await calls(tag)).toHaveLength(1);
  });

  it("does not confuse a purchase document with a sales document of the same ID", async () => {
    const tag = newTag();
    const hold = newTag();
    const account = newAccount();
    const first = call({ ...account, request: "deleteSalesDocument", documentID: "8004" }, { tag, headers: { "demo-hold": hold } });
    await arrived(tag, 1);
    expect((await call({ ...account, request: "deletePurchaseDocument", documentID: "8004" }, { tag })).status.responseStatus).toBe("ok");
    await release(hold);
    await first;
  });
});

describe("other calls", () => {
  it("passes calls no route guards straight through, untouched", async () => {
    const tag = newTag();
    const params = { ...newAccount(), request: "getProducts", temporaryUUID: "x", id: "1" };
    const response = await erply.send(erplyRequest(erply.base, params, { tag, via: "query" }));
    expect(response.status).toBe(200);
    const [seen] = await calls(tag);
    expect(seen?.params).toEqual(params);
  });
});
