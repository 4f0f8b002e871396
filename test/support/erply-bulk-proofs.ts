/**
 * Erply's bulk requests as tests, with the shipped examples/erply config:
 * each call is guarded as if it were sent alone, the answer keeps the
 * client's order with replayed and refused calls in place. They run inside
 * workerd (test/erply-bulk.test.ts) and against the wrangler-built bundle
 * over real HTTP (test/e2e/erply-bulk.e2e.test.ts), in front of the
 * Erply-like origin, which answers bulk requests as Erply documents them.
 */
import { describe, expect, it } from "vitest";
import { type BulkCall, bulkAnswer, bulkRequest, type ErplyTarget, erplyClient, newAccount, type Via } from "./erply-client.ts";
import { newTag } from "./origin-log.ts";

/** A new sale, as the dedup rules see it (every prerequisite present). */
function saleCall(requestID: number, invoiceNo: string, extra: Record<string, unknown> = {}): BulkCall {
  return {
    requestName: "saveSalesDocument",
    requestID,
    invoiceNo,
    date: "2026-12-01",
    time: "10:00:00",
    type: "CASHINVOICE",
    productID1: "5",
    amount1: "1",
    ...extra,
  };
}

/**
 * Registers the bulk tests for one way of reaching Idem.
 *
 * @example
 * erplyBulkProofs(() => ({ send: (request) => fetch(request), base: worker.url.href, originUrl: origin.url }));
 */
export function erplyBulkProofs(target: () => ErplyTarget): void {
  const { call, calls, arrived, release } = erplyClient(target);
  const bulk = (shared: Parameters<typeof bulkRequest>[1], list: BulkCall[], tag: string, via: Via = "form", headers: Record<string, string> = {}) =>
    target()
      .send(bulkRequest(target().base, shared, list, { tag, via, headers }))
      .then(bulkAnswer);

  describe("Erply's bulk requests, with the shipped examples/erply config", () => {
    it.each(["form", "multipart"] as const)(
      "guards each call of a bulk request sent as %s as if it were sent alone, and answers in the client's order",
      async (via) => {
        const tag = newTag();
        const account = { ...newAccount(), clientName: "TouchPOS" };
        const temporaryUUID = newTag();
        const list: BulkCall[] = [
          saleCall(1, "B-1", { temporaryUUID }),
          { requestName: "getProducts", requestID: "two" },
          { requestName: "savePayment", requestID: 3, type: "CASH", sum: "9.90", added: "1764583200" },
        ];
        const first = await bulk(account, list, tag, via);
        expect(first.httpStatus).toBe(200);
        expect(first.requests.map((entry) => [entry.status.requestName, entry.status.requestID, entry.status.errorCode])).toEqual([
          ["saveSalesDocument", 1, 0],
          ["getProducts", "two", 0],
          ["savePayment", 3, 0],
        ]);
        expect(await calls(tag)).toHaveLength(3);

        // Resent: the sale's key is used (1206), the payment is a copy (its first answer), only getProducts runs again.
        const again = await bulk(account, list, tag, via);
        expect(again.requests.map((entry) => [entry.status.requestID, entry.status.errorCode])).toEqual([
          [1, 1206],
          ["two", 0],
          [3, 0],
        ]);
        expect(again.requests[0]?.records).toBeNull();
        expect(again.requests[2]?.records).toEqual(first.requests[2]?.records);
        expect((await calls(tag)).map((c) => c.call)).toEqual(["saveSalesDocument", "getProducts", "savePayment", "getProducts"]);
      },
    );

    it("shares records with single calls both ways: a temporaryUUID used in a bulk request is used for a single call, and the other way round", async () => {
      const tag = newTag();
      const account = newAccount();
      const inBulk = newTag();
      const alone = newTag();
      await bulk(account, [saleCall(1, "S-1", { temporaryUUID: inBulk })], tag);
      expect((await call({ ...account, request: "saveSalesDocument", temporaryUUID: inBulk }, { tag })).status.errorCode).toBe(1206);
      await call({ ...account, request: "saveSalesDocument", temporaryUUID: alone }, { tag });
      const answer = await bulk(account, [saleCall(7, "S-2", { temporaryUUID: alone })], tag);
      expect(answer.requests[0]?.status).toMatchObject({ requestName: "saveSalesDocument", requestID: 7, errorCode: 1206 });
      expect(await calls(tag)).toHaveLength(2);
    });

    it("answers 1204 in place for a delete of a document that a single call is deleting, and runs the other calls", async () => {
      const tag = newTag();
      const hold = newTag();
      const account = newAccount();
      const running = call({ ...account, request: "deleteSalesDocument", documentID: "9001" }, { tag, headers: { "demo-hold": hold } });
      await arrived(tag, 1);
      const answer = await bulk(
        account,
        [
          { requestName: "getProducts", requestID: 1 },
          { requestName: "deleteSalesDocument", requestID: 2, documentID: "9001" },
          { requestName: "getProducts", requestID: 3 },
        ],
        tag,
      );
      expect(answer.requests.map((entry) => [entry.status.requestID, entry.status.errorCode])).toEqual([
        [1, 0],
        [2, 1204],
        [3, 0],
      ]);
      await release(hold);
      expect((await running).status.responseStatus).toBe("ok");
      expect((await calls(tag)).map((c) => c.call)).toEqual(["deleteSalesDocument", "getProducts", "getProducts"]);
    });

    it("refuses a call's malformed temporaryUUID in its entry (1014), and runs the others", async () => {
      const tag = newTag();
      const answer = await bulk(newAccount(), [saleCall(1, "M-1", { temporaryUUID: "bad_key" }), { requestName: "getProducts", requestID: 2 }], tag);
      expect(answer.requests[0]?.status).toMatchObject({ requestID: 1, errorCode: 1014, errorField: "temporaryUUID" });
      expect(answer.requests[1]?.status).toMatchObject({ requestID: 2, errorCode: 0 });
      expect((await calls(tag)).map((c) => c.call)).toEqual(["getProducts"]);
    });

    it("sends consecutive unguarded calls to the API as one bulk request, and a bulk request of only such calls untouched", async () => {
      const tag = newTag();
      const account = newAccount();
      const answer = await bulk(
        account,
        [
          { requestName: "getProducts", requestID: 1 },
          { requestName: "getCustomers", requestID: 2 },
          saleCall(3, "U-1", { temporaryUUID: newTag() }),
          { requestName: "getProducts", requestID: 4 },
        ],
        tag,
      );
      expect(answer.requests.map((entry) => entry.status.requestID)).toEqual([1, 2, 3, 4]);
      const received = await calls(tag);
      expect(received.map((c) => [c.call, c.batch?.index])).toEqual([
        ["getProducts", 0],
        ["getCustomers", 1],
        ["saveSalesDocument", undefined],
        ["getProducts", 0],
      ]);
      expect(received[0]?.batch?.request).toBe(received[1]?.batch?.request);

      const plain = newTag();
      await bulk(
        account,
        [
          { requestName: "getProducts", requestID: 1 },
          { requestName: "getCustomers", requestID: 2 },
        ],
        plain,
      );
      const [one, two] = await calls(plain);
      expect(one?.batch?.request).toBe(two?.batch?.request);
      expect(one?.params.clientCode).toBe(account.clientCode);
    });

    it("refuses a bulk request of more than 100 calls whole (1015), sending nothing", async () => {
      const tag = newTag();
      const list = Array.from({ length: 101 }, (_, i): BulkCall => ({ requestName: "getProducts", requestID: i }));
      const response = await target().send(bulkRequest(target().base, newAccount(), list, { tag }));
      const body = (await response.json()) as { status: { errorCode: number } };
      expect(response.status).toBe(200);
      expect(body.status.errorCode).toBe(1015);
      expect(await calls(tag)).toHaveLength(0);
    });
  });
}
