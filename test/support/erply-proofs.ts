/**
 * Erply's documented promises, as tests. They run twice with the shipped
 * examples/erply config: inside workerd (test/erply.test.ts) and against the
 * wrangler-built bundle over real HTTP (test/e2e/erply.e2e.test.ts), each in
 * front of the Erply-like origin, whose log of start and end times shows the
 * order and overlap of the calls it received.
 */
import { describe, expect, it } from "vitest";
import { type ErplyTarget, EVERY_VIA, erplyClient, newAccount, oneAfterAnother, sleep } from "./erply-client.ts";
import { newTag } from "./origin-log.ts";

/** Long enough for the shipped 5 s edit timeout to pass. */
const EDIT_TIMEOUT_TEST_MS = 30_000;
/**
 * The stagger between calls whose arrival order matters, and the time a call
 * that should be queued is given to (wrongly) reach the origin before the
 * call ahead of it is released. No assertion depends on how long anything takes.
 */
const QUEUE_GRACE_MS = 300;

/**
 * Registers Erply's promises as tests for one way of reaching Idem.
 *
 * @example
 * erplyProofs(() => ({ send: (request) => fetch(request), base: worker.url.href, originUrl: origin.url }));
 */
export function erplyProofs(target: () => ErplyTarget): void {
  const { call, calls, arrived, release } = erplyClient(target);

  describe("Erply's promises, with the shipped examples/erply config", () => {
    it("forwards three concurrent edits of one document strictly one after another, in arrival order", async () => {
      const tag = newTag();
      const hold = newTag();
      const account = newAccount();
      const edit = (n: number, headers: Record<string, string> = {}) =>
        call({ ...account, request: "saveSalesDocument", id: "7001", notes: `edit-${n}` }, { tag, headers });
      // The first edit is held at the API while the others arrive, staggered so that their arrival order is known.
      const first = edit(1, { "demo-hold": hold });
      await arrived(tag, 1);
      const second = edit(2, { "demo-delay": "50" });
      await sleep(QUEUE_GRACE_MS);
      const third = edit(3, { "demo-delay": "50" });
      await sleep(QUEUE_GRACE_MS);
      expect(await calls(tag)).toHaveLength(1);

      await release(hold);
      const answers = await Promise.all([first, second, third]);
      expect(answers.map((a) => a.status.responseStatus)).toEqual(["ok", "ok", "ok"]);
      const received = await calls(tag);
      expect(received.map((c) => c.params.notes)).toEqual(["edit-1", "edit-2", "edit-3"]);
      expect(oneAfterAnother(received)).toBe(true);
    });

    it(
      "drops the edits queued behind a call slower than the edit timeout with 1205, and the slow call completes",
      async () => {
        const tag = newTag();
        const hold = newTag();
        const account = newAccount();
        const edit = (notes: string, headers: Record<string, string> = {}) =>
          call({ ...account, request: "saveSalesDocument", id: "7002", notes }, { tag, headers });
        const slow = edit("slow", { "demo-hold": hold });
        await arrived(tag, 1);

        const queued = await Promise.all([edit("queued-1"), edit("queued-2")]);
        expect(queued.map((a) => a.status.errorCode)).toEqual([1205, 1205]);
        // While the slow call is still overdue, newcomers are dropped at once.
        expect((await edit("while-overdue")).status.errorCode).toBe(1205);

        await release(hold);
        const slowAnswer = await slow;
        expect(slowAnswer.status.responseStatus).toBe("ok");
        expect(slowAnswer.records?.[0]?.invoiceID).toBe(7002);
        expect((await calls(tag)).map((c) => c.params.notes)).toEqual(["slow"]);

        // Once it has finished, the document takes edits again.
        expect((await edit("after")).status.responseStatus).toBe("ok");
        expect((await calls(tag)).map((c) => c.params.notes)).toEqual(["slow", "after"]);
      },
      EDIT_TIMEOUT_TEST_MS,
    );

    it("answers a concurrent second delete with 1204 at once; the origin sees one delete, and a later delete runs", async () => {
      const tag = newTag();
      const hold = newTag();
      const account = newAccount();
      const remove = (headers: Record<string, string> = {}) =>
        call({ ...account, request: "deleteSalesDocument", documentID: "7003" }, { tag, headers });
      const first = remove({ "demo-hold": hold });
      await arrived(tag, 1);

      const second = await remove();
      expect(second.httpStatus).toBe(200);
      expect(second.status).toMatchObject({ request: "deleteSalesDocument", responseStatus: "error", errorCode: 1204 });
      expect(await calls(tag)).toHaveLength(1);

      await release(hold);
      expect((await first).status.responseStatus).toBe("ok");
      expect((await remove()).status.responseStatus).toBe("ok");
      expect(await calls(tag)).toHaveLength(2);
    });

    it("answers a reused temporaryUUID with 1206; the origin sees one save", async () => {
      const tag = newTag();
      const sale = { ...newAccount(), request: "saveSalesDocument", temporaryUUID: `pos-1.${newTag()}`, productID1: "42", amount1: "2" };
      const first = await call(sale, { tag });
      expect(first.status.responseStatus).toBe("ok");

      const retry = await call(sale, { tag });
      expect(retry.status).toMatchObject({ request: "saveSalesDocument", responseStatus: "error", errorCode: 1206 });
      // The key is single-use whatever comes with it.
      const other = await call({ ...sale, amount1: "3" }, { tag });
      expect(other.status.errorCode).toBe(1206);
      expect(await calls(tag)).toHaveLength(1);
    });

    it("answers 1204 to a temporaryUUID whose first save is still running", async () => {
      const tag = newTag();
      const hold = newTag();
      const sale = { ...newAccount(), request: "saveSalesDocument", temporaryUUID: newTag() };
      const first = call(sale, { tag, headers: { "demo-hold": hold } });
      await arrived(tag, 1);
      expect((await call(sale, { tag })).status.errorCode).toBe(1204);
      await release(hold);
      expect((await first).status.responseStatus).toBe("ok");
      expect((await call(sale, { tag })).status.errorCode).toBe(1206);
      expect(await calls(tag)).toHaveLength(1);
    });

    it("does not serialize the same document ID across two accounts", async () => {
      const tag = newTag();
      const hold = newTag();
      const edit = { request: "saveSalesDocument", id: "7004" };
      const first = call({ ...newAccount(), ...edit, notes: "account-a" }, { tag, headers: { "demo-hold": hold } });
      await arrived(tag, 1);

      const other = await call({ ...newAccount(), ...edit, notes: "account-b" }, { tag });
      expect(other.status.responseStatus).toBe("ok");
      const [a, b] = await calls(tag);
      expect(a?.params.notes).toBe("account-a");
      expect(a?.endedAt).toBeUndefined(); // still held while account B's edit ran
      expect(b?.params.notes).toBe("account-b");

      await release(hold);
      expect((await first).status.responseStatus).toBe("ok");
    });

    describe.each(EVERY_VIA)("every guard holds with the parameters sent as %s", (via) => {
      it("answers a reused temporaryUUID with 1206; the origin sees one save", async () => {
        const tag = newTag();
        const sale = { ...newAccount(), request: "saveSalesDocument", temporaryUUID: newTag(), productID1: "42", amount1: "2" };
        expect((await call(sale, { tag, via })).status.responseStatus).toBe("ok");
        expect((await call(sale, { tag, via })).status).toMatchObject({ request: "saveSalesDocument", errorCode: 1206 });
        expect(await calls(tag)).toHaveLength(1);
      });

      it("refuses a malformed temporaryUUID with 1014 naming the field, without calling the API", async () => {
        const tag = newTag();
        const answer = await call({ ...newAccount(), request: "saveSalesDocument", temporaryUUID: "pos_1" }, { tag, via });
        expect(answer.status).toMatchObject({ errorCode: 1014, errorField: "temporaryUUID" });
        expect(await calls(tag)).toHaveLength(0);
      });

      it("answers a concurrent second delete with 1204; the origin sees one delete", async () => {
        const tag = newTag();
        const hold = newTag();
        const remove = { ...newAccount(), request: "deleteSalesDocument", documentID: "7101" };
        const first = call(remove, { tag, via, headers: { "demo-hold": hold } });
        await arrived(tag, 1);
        expect((await call(remove, { tag, via })).status.errorCode).toBe(1204);
        await release(hold);
        expect((await first).status.responseStatus).toBe("ok");
        expect(await calls(tag)).toHaveLength(1);
      });

      it("forwards two concurrent edits of one document one after the other", async () => {
        const tag = newTag();
        const hold = newTag();
        const edit = { ...newAccount(), request: "saveSalesDocument", id: "7102" };
        const first = call({ ...edit, notes: "edit-1" }, { tag, via, headers: { "demo-hold": hold } });
        await arrived(tag, 1);
        const second = call({ ...edit, notes: "edit-2" }, { tag, via });
        await sleep(QUEUE_GRACE_MS);
        expect(await calls(tag)).toHaveLength(1);
        await release(hold);
        expect((await Promise.all([first, second])).map((a) => a.status.responseStatus)).toEqual(["ok", "ok"]);
        const received = await calls(tag);
        expect(received.map((c) => c.params.notes)).toEqual(["edit-1", "edit-2"]);
        expect(oneAfterAnother(received)).toBe(true);
      });
    });

    describe("parameters in the query string and in the form body behave the same", () => {
      it("serializes an edit sent in the query string with one sent in the form body", async () => {
        const tag = newTag();
        const hold = newTag();
        const edit = { ...newAccount(), request: "saveSalesDocument", id: "7005" };
        const first = call({ ...edit, notes: "query" }, { tag, via: "query", headers: { "demo-hold": hold } });
        await arrived(tag, 1);
        const second = call({ ...edit, notes: "form" }, { tag, via: "form" });
        await sleep(QUEUE_GRACE_MS);
        expect(await calls(tag)).toHaveLength(1);

        await release(hold);
        expect((await Promise.all([first, second])).map((a) => a.status.responseStatus)).toEqual(["ok", "ok"]);
        const received = await calls(tag);
        expect(received.map((c) => c.params.notes)).toEqual(["query", "form"]);
        expect(oneAfterAnother(received)).toBe(true);
      });

      it("refuses a temporaryUUID used in the query string when it comes again in the form body", async () => {
        const tag = newTag();
        const sale = { ...newAccount(), request: "saveSalesDocument", temporaryUUID: newTag() };
        expect((await call(sale, { tag, via: "query" })).status.responseStatus).toBe("ok");
        expect((await call(sale, { tag, via: "form" })).status.errorCode).toBe(1206);
        expect(await calls(tag)).toHaveLength(1);
      });

      it("refuses a form-body delete while a query-string delete of the document runs", async () => {
        const tag = newTag();
        const hold = newTag();
        const remove = { ...newAccount(), request: "deleteSalesDocument", documentID: "7006" };
        const first = call(remove, { tag, via: "query", headers: { "demo-hold": hold } });
        await arrived(tag, 1);
        expect((await call(remove, { tag, via: "form" })).status.errorCode).toBe(1204);
        await release(hold);
        expect((await first).status.responseStatus).toBe("ok");
        expect(await calls(tag)).toHaveLength(1);
      });
    });
  });
}
