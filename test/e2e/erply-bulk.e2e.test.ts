import { describe, expect, it } from "vitest";
import { startErplyOrigin } from "../../examples/erply/origin.ts";
import { erplyBulkProofs } from "../support/erply-bulk-proofs.ts";
import { bulkAnswer, bulkRequest, erplyClient, newAccount } from "../support/erply-client.ts";
import { eventually } from "../support/eventually.ts";
import { newTag } from "../support/origin-log.ts";
import { useBundledStack } from "./support/stack.ts";

// The example's bindings and config as shipped; only the origin's port differs.
const stack = useBundledStack({ origin: startErplyOrigin, example: "examples/erply/wrangler.toml" });
const target = () => ({ send: (request: Request) => fetch(request), base: stack().worker.url.href, originUrl: stack().origin.url });

// The bundled Worker on Miniflare over real HTTP, in front of the Erply-like origin on 127.0.0.1.
erplyBulkProofs(target);

describe("a bulk request whose client disconnects", () => {
  it("keeps each guarded call at most once: its record's object finishes the call, and the resent bulk request gets its answer", async () => {
    const tag = newTag();
    const hold = newTag();
    const account = { ...newAccount(), clientName: "TouchPOS" };
    const sale = {
      requestName: "saveSalesDocument",
      requestID: 1,
      invoiceNo: "D-1",
      date: "2026-12-01",
      time: "11:00:00",
      type: "CASHINVOICE",
      productID1: "5",
      amount1: "1",
    };
    const list = [sale, { requestName: "getProducts", requestID: 2 }];
    const controller = new AbortController();
    const abandoned = fetch(bulkRequest(target().base, account, list, { tag, headers: { "demo-hold": hold } }), { signal: controller.signal });
    const { arrived, release } = erplyClient(target);
    await arrived(tag, 1);
    controller.abort();
    await expect(abandoned).rejects.toThrow();
    await release(hold);

    const saleEntries = () => stack().origin.received.filter((r) => r.tag === tag && r.call === "saveSalesDocument");
    await eventually(() => saleEntries()[0]?.endedAt);
    // The sale's record was stored by its object after the client left: the resend is answered from it.
    const resent = await eventually(async () => {
      const answer = await bulkAnswer(await fetch(bulkRequest(target().base, account, list, { tag })));
      return answer.requests[0]?.records?.[0]?.invoiceID === undefined ? undefined : answer;
    });
    expect(resent.requests.map((entry) => [entry.status.requestID, entry.status.errorCode])).toEqual([
      [1, 0],
      [2, 0],
    ]);
    expect(saleEntries()).toHaveLength(1);
  });
});
