/**
 * Erply's bulk requests as tests, with the shipped examples/erply config:
 * each call is guarded as if it were sent alone, the answer keeps the
 * client's order with replayed and refused calls in place. They run inside
 * workerd (test/erply-bulk.test.ts) and against the wrangler-built bundle
 * over real HTTP (test/e2e/erply-bulk.e2e.test.ts), in front of the
 * Erply-like origin, which answers bulk requests as Erply documents them.
 */
import { describe, expect, it } from "vitest";
import { type BulkCall, bulkAnswer, bulkRequest, type ErplyCall, type ErplyTarget, erplyClient, newAccount, type Via } from "./erply-client.ts";
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

/** The calls the origin received, grouped by the HTTP request that carried them, in arrival order. */
function requestsOf(calls: readonly ErplyCall[]): (string | null)[][] {
  const requests = new Map<number, (string | null)[]>();
  for (const call of calls) requests.set(call.httpRequest, [...(requests.get(call.httpRequest) ?? []), call.call]);
  return [...requests.values()];
}

/** Entries as [requestID, errorCode] pairs. */
const codes = (answer: { requests: { status: { requestID?: unknown; errorCode: number } }[] }) =>
  answer.requests.map((entry) => [entry.status.requestID, entry.status.errorCode]);

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
        const list: BulkCall[] = [
          saleCall(1, "B-1", { temporaryUUID: newTag() }),
          { requestName: "getProducts", requestID: "two" },
          saleCall(3, "B-2", { temporaryUUID: newTag() }),
          { requestName: "savePayment", requestID: 4, type: "CASH", sum: "9.90", added: "1764583200" },
        ];
        const first = await bulk(account, list, tag, via);
        expect(first.httpStatus).toBe(200);
        expect(first.requests.map((entry) => [entry.status.requestName, entry.status.requestID, entry.status.errorCode])).toEqual([
          ["saveSalesDocument", 1, 0],
          ["getProducts", "two", 0],
          ["saveSalesDocument", 3, 0],
          ["savePayment", 4, 0],
        ]);
        expect(first.requests[0]?.records?.[0]?.invoiceNo).toBe("B-1");
        expect(first.requests[2]?.records?.[0]?.invoiceNo).toBe("B-2");
        // Every call that had to run reached the API in one bulk request, in the client's order.
        expect(requestsOf(await calls(tag))).toEqual([["saveSalesDocument", "getProducts", "saveSalesDocument", "savePayment"]]);

        // Resent: the sales' keys are used (1206), the payment is a copy (its first answer), only getProducts runs again.
        const again = await bulk(account, list, tag, via);
        expect(codes(again)).toEqual([
          [1, 1206],
          ["two", 0],
          [3, 1206],
          [4, 0],
        ]);
        expect(again.requests[0]?.records).toBeNull();
        expect(again.requests[3]?.records).toEqual(first.requests[3]?.records);
        expect(requestsOf(await calls(tag))).toEqual([["saveSalesDocument", "getProducts", "saveSalesDocument", "savePayment"], ["getProducts"]]);
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
      // The delete runs alone, between the calls before it and those after.
      expect(requestsOf(await calls(tag))).toEqual([["deleteSalesDocument"], ["getProducts"], ["getProducts"]]);
    });

    it("refuses a call's malformed temporaryUUID in its entry (1014), and runs the others", async () => {
      const tag = newTag();
      const answer = await bulk(newAccount(), [saleCall(1, "M-1", { temporaryUUID: "bad_key" }), { requestName: "getProducts", requestID: 2 }], tag);
      expect(answer.requests[0]?.status).toMatchObject({ requestID: 1, errorCode: 1014, errorField: "temporaryUUID" });
      expect(answer.requests[1]?.status).toMatchObject({ requestID: 2, errorCode: 0 });
      expect((await calls(tag)).map((c) => c.call)).toEqual(["getProducts"]);
    });

    it("sends an edit of a document alone, between one bulk request for the calls before it and one for those after", async () => {
      const tag = newTag();
      const account = { ...newAccount(), clientName: "TouchPOS" };
      const answer = await bulk(
        account,
        [
          { requestName: "getProducts", requestID: 1 },
          saleCall(2, "E-1", { temporaryUUID: newTag() }),
          { requestName: "saveSalesDocument", requestID: 3, id: "7001", productID1: "5", amount1: "2" },
          { requestName: "savePayment", requestID: 4, type: "CASH", sum: "1.00", added: "1764583201" },
          { requestName: "getCustomers", requestID: 5 },
        ],
        tag,
      );
      expect(codes(answer)).toEqual([
        [1, 0],
        [2, 0],
        [3, 0],
        [4, 0],
        [5, 0],
      ]);
      expect(answer.requests[2]?.records?.[0]?.invoiceID).toBe(7001);
      expect(requestsOf(await calls(tag))).toEqual([["getProducts", "saveSalesDocument"], ["saveSalesDocument"], ["savePayment", "getCustomers"]]);
    });

    it("passes a bulk request none of whose calls needs a guard on untouched, as one request", async () => {
      const tag = newTag();
      const account = newAccount();
      await bulk(
        account,
        [
          { requestName: "getProducts", requestID: 1 },
          { requestName: "getCustomers", requestID: 2 },
        ],
        tag,
      );
      const received = await calls(tag);
      expect(requestsOf(received)).toEqual([["getProducts", "getCustomers"]]);
      expect(received[0]?.params.clientCode).toBe(account.clientCode);
    });

    it("runs each keyed call of a bulk request once, whichever of its keys' objects hold them", async () => {
      const tag = newTag();
      const account = newAccount();
      // Four keys: their records sit on different shards (KeyObjects) all but surely, 256 shards being the default.
      const list = [1, 2, 3, 4].map((n) => saleCall(n, `K-${n}`, { temporaryUUID: newTag() }));
      const first = await bulk(account, list, tag);
      expect(codes(first)).toEqual(list.map((call) => [call.requestID, 0]));
      const again = await bulk(account, list, tag);
      expect(codes(again)).toEqual(list.map((call) => [call.requestID, 1206]));
      expect(requestsOf(await calls(tag))).toEqual([list.map(() => "saveSalesDocument")]);
    });

    it("runs a call repeated within one bulk request once, and answers the repeat in place as in progress (1204)", async () => {
      const tag = newTag();
      const account = { ...newAccount(), clientName: "TouchPOS" };
      const temporaryUUID = newTag();
      const payment = { requestName: "savePayment", type: "CASH", sum: "4.40", added: "1764583204" };
      const list: BulkCall[] = [
        saleCall(1, "R-1", { temporaryUUID }),
        saleCall(2, "R-1", { temporaryUUID }),
        { ...payment, requestID: 3 },
        { ...payment, requestID: 4 },
      ];
      const answer = await bulk(account, list, tag);
      expect(codes(answer)).toEqual([
        [1, 0],
        [2, 1204],
        [3, 0],
        [4, 1204],
      ]);
      expect(requestsOf(await calls(tag))).toEqual([["saveSalesDocument", "savePayment"]]);
    });

    it("runs each keyed and deduplicated call once when copies of a bulk request arrive together", async () => {
      const tag = newTag();
      const hold = newTag();
      const account = { ...newAccount(), clientName: "TouchPOS" };
      const list: BulkCall[] = [
        saleCall(1, "C-1", { temporaryUUID: newTag() }),
        { requestName: "savePayment", requestID: 2, type: "CASH", sum: "3.30", added: "1764583202" },
      ];
      const held = bulk(account, list, tag, "form", { "demo-hold": hold });
      await arrived(tag, 2);
      const copies = Promise.all([bulk(account, list, tag), bulk(account, list, tag)]);
      await release(hold);
      const [first, ...rest] = [await held, ...(await copies)];
      expect(codes(first as Awaited<typeof held>)).toEqual([
        [1, 0],
        [2, 0],
      ]);
      for (const copy of rest) {
        // The sale's key is in use (1204) or used (1206); the payment waits for the first and gets its answer.
        expect([1204, 1206]).toContain(copy.requests[0]?.status.errorCode);
        expect(copy.requests[1]?.records).toEqual(first?.requests[1]?.records);
      }
      expect(requestsOf(await calls(tag))).toEqual([["saveSalesDocument", "savePayment"]]);
    });

    it.each([
      ["drops the connection", "reset"],
      ["answers with a body that is not JSON", "not-json"],
      ["leaves an entry out", "short"],
    ])(
      "when the origin %s, remembers the bulk request's keyed and deduplicated calls as of unknown outcome, and never runs them again",
      async (_fault, fault) => {
        const tag = newTag();
        const account = { ...newAccount(), clientName: "TouchPOS" };
        const list: BulkCall[] = [
          saleCall(1, "F-1", { temporaryUUID: newTag() }),
          { requestName: "savePayment", requestID: 2, type: "CASH", sum: "4.40", added: "1764583203" },
          { requestName: "getProducts", requestID: 3 },
        ];
        const broken = await bulk(account, list, tag, "form", { "demo-fault": fault });
        // Erply's format has no code of its own for an unknown outcome: the HTTP status it stands for (502).
        expect(codes(broken)).toEqual([
          [1, 502],
          [2, 502],
          [3, 502],
        ]);
        const retry = await bulk(account, list, tag);
        expect(codes(retry)).toEqual([
          [1, 502],
          [2, 502],
          [3, 0],
        ]);
        expect(requestsOf(await calls(tag))).toEqual([["saveSalesDocument", "savePayment", "getProducts"], ["getProducts"]]);
      },
    );

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
