/**
 * Erply's duplicate prevention as tests, with the rules as shipped in
 * examples/erply/wrangler.toml. They run inside workerd
 * (test/dedup-erply.test.ts) and against the wrangler-built bundle over real
 * HTTP (test/e2e/erply-dedup.e2e.test.ts), each in front of the Erply-like
 * origin (examples/erply/origin.ts), whose log shows what was really executed
 * and whose answers carry a new document ID per execution.
 */
import { describe, expect, it } from "vitest";
import {
  type Accounts,
  DUPLICATES,
  freshAccounts,
  NOT_DUPLICATES,
  type PosCall,
  posParams,
  posRequest,
  sale,
} from "../fixtures/erply-dedup-cases.ts";
import { documentId, type ErplyTarget, erplyAnswer, erplyClient, sleep } from "./erply-client.ts";
import { newTag } from "./origin-log.ts";

/** How long a copy is given to arrive while the original is held at the API. No assertion depends on it. */
const QUEUE_GRACE_MS = 300;

/**
 * Registers the dedup tests for one way of reaching Idem.
 *
 * @example
 * erplyDedupProofs(() => ({ send: (request) => fetch(request), base: worker.url.href, originUrl: origin.url }));
 */
export function erplyDedupProofs(target: () => ErplyTarget): void {
  const send = (call: PosCall, tag: string, accounts: Accounts, headers: Record<string, string> = {}) => {
    const t = target();
    return t.send(posRequest(t.base, call, accounts, { tag, headers }));
  };
  const { calls, arrived, release } = erplyClient(target);

  describe("Erply's duplicate prevention, with the shipped examples/erply config", () => {
    describe("caught: the copy never reaches the API and gets the original's answer", () => {
      it.each(DUPLICATES)("$case", async ({ first, second }) => {
        const tag = newTag();
        const accounts = freshAccounts();
        const original = await send(first, tag, accounts);
        expect(original.headers.get("idempotent-replayed")).toBeNull();
        const originalBody = await original.text();
        expect(JSON.parse(originalBody)).toMatchObject({ status: { responseStatus: "ok" } });

        const copy = await send(second, tag, accounts);
        expect(copy.status).toBe(200);
        expect(copy.headers.get("idempotent-replayed")).toBe("true");
        expect(await copy.text()).toBe(originalBody);
        expect(await calls(tag)).toHaveLength(1);
      });

      it("a copy sent while the original is still at the API gets its answer without reaching the API", async () => {
        const tag = newTag();
        const hold = newTag();
        const accounts = freshAccounts();
        const original = send(sale(), tag, accounts, { "demo-hold": hold });
        await arrived(tag, 1);
        const copy = send(sale(), tag, accounts);
        // Gives the copy time to reach the original's record and wait there; it gets the same answer if it comes later.
        await sleep(QUEUE_GRACE_MS);
        await release(hold);
        const [originalAnswer, copyResponse] = await Promise.all([original.then(erplyAnswer), copy]);
        expect(copyResponse.headers.get("idempotent-replayed")).toBe("true");
        expect(documentId(await erplyAnswer(copyResponse))).toBe(documentId(originalAnswer));
        expect(await calls(tag)).toHaveLength(1);
      });
    });

    describe("not duplicates: the API executes both, and each gets its own document", () => {
      it.each(NOT_DUPLICATES)("$case", async ({ first, second }) => {
        const tag = newTag();
        const accounts = freshAccounts();
        const a = await erplyAnswer(await send(first, tag, accounts));
        const bResponse = await send(second, tag, accounts);
        expect(bResponse.headers.get("idempotent-replayed")).toBeNull();
        const b = await erplyAnswer(bResponse);
        expect([a.status.responseStatus, b.status.responseStatus]).toEqual(["ok", "ok"]);
        expect(documentId(a)).toEqual(expect.any(Number));
        expect(documentId(b)).toEqual(expect.any(Number));
        expect(documentId(b)).not.toBe(documentId(a));
        expect(await calls(tag)).toHaveLength(2);
      });
    });

    it("a compared field sent twice counts as PHP reads it, its last value: the copy is caught", async () => {
      const tag = newTag();
      const accounts = freshAccounts();
      const original = await send(sale(), tag, accounts);
      const twice = new Request(new URL("/api/", target().base), {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "demo-tag": tag },
        body: `invoiceNo=9999&${new URLSearchParams(posParams(sale(), accounts))}`,
      });
      const copy = await target().send(twice);
      expect(copy.headers.get("idempotent-replayed")).toBe("true");
      expect(await copy.text()).toBe(await original.text());
      expect(await calls(tag)).toHaveLength(1);
    });

    it("never keeps Erply's error (HTTP 200, responseStatus error) as the original: the next copy is saved, and the one after gets its answer", async () => {
      const tag = newTag();
      const accounts = freshAccounts();
      const refused = await erplyAnswer(await send(sale(), tag, accounts, { "demo-error": "1002" }));
      expect(refused.httpStatus).toBe(200);
      expect(refused.status).toMatchObject({ responseStatus: "error", errorCode: 1002 });

      const savedResponse = await send(sale(), tag, accounts);
      expect(savedResponse.headers.get("idempotent-replayed")).toBeNull();
      const saved = await erplyAnswer(savedResponse);
      expect(saved.status.responseStatus).toBe("ok");

      const copy = await send(sale(), tag, accounts);
      expect(copy.headers.get("idempotent-replayed")).toBe("true");
      expect(documentId(await erplyAnswer(copy))).toBe(documentId(saved));
      expect(await calls(tag)).toHaveLength(2);
    });

    it("an edit of a saved sale (its `id` given) reaches the API, though it repeats every field the rule compares", async () => {
      const tag = newTag();
      const accounts = freshAccounts();
      const saved = await erplyAnswer(await send(sale(), tag, accounts));
      const editResponse = await send(sale({ id: String(documentId(saved)), notes: "paid by card" }), tag, accounts);
      expect(editResponse.headers.get("idempotent-replayed")).toBeNull();
      expect(documentId(await erplyAnswer(editResponse))).toBe(documentId(saved));
      expect((await calls(tag)).map((call) => call.params.notes)).toEqual([undefined, "paid by card"]);
    });

    describe("sales with a temporaryUUID follow the key, not the dedup rules", () => {
      it("the same sale under two keys is saved twice", async () => {
        const tag = newTag();
        const accounts = freshAccounts();
        const a = await erplyAnswer(await send(sale({ temporaryUUID: newTag() }), tag, accounts));
        const b = await erplyAnswer(await send(sale({ temporaryUUID: newTag() }), tag, accounts));
        expect(documentId(b)).not.toBe(documentId(a));
        expect(await calls(tag)).toHaveLength(2);
      });

      it("the same sale resent with its key is refused with 1206 (the key is single-use), not answered as a duplicate", async () => {
        const tag = newTag();
        const accounts = freshAccounts();
        const keyed = sale({ temporaryUUID: newTag() });
        expect((await erplyAnswer(await send(keyed, tag, accounts))).status.responseStatus).toBe("ok");
        const retry = await send(keyed, tag, accounts);
        expect(retry.headers.get("idempotent-replayed")).toBeNull();
        expect((await erplyAnswer(retry)).status).toMatchObject({ responseStatus: "error", errorCode: 1206 });
        expect(await calls(tag)).toHaveLength(1);
      });

      it("a sale sent with a key and resent without one is not caught (copies without a key meet only each other)", async () => {
        const tag = newTag();
        const accounts = freshAccounts();
        await send(sale({ temporaryUUID: newTag() }), tag, accounts);
        const resent = await send(sale(), tag, accounts);
        expect(resent.headers.get("idempotent-replayed")).toBeNull();
        expect(await calls(tag)).toHaveLength(2);
      });
    });
  });
}
