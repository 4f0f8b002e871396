import { afterEach, describe, expect, it, vi } from "vitest";
import { type Accounts, berlinSale, freshAccounts, type PosCall, payment, posRequest, sale } from "./fixtures/erply-dedup-cases.ts";
import { erplyDedupProofs } from "./support/erply-dedup-proofs.ts";
import { erplyGateway } from "./support/gateway.ts";
import { newTag } from "./support/origin-log.ts";

const erply = erplyGateway();
const sendCall = (call: PosCall, accounts: Accounts) => erply.send(posRequest(erply.base, call, accounts, { tag: newTag() }));

erplyDedupProofs(() => erply);

afterEach(() => {
  vi.restoreAllMocks();
});

/** The `idem.decision` lines logged while `run` ran. */
async function decisionsWhile(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const logged = vi.spyOn(console, "log");
  await run();
  return logged.mock.calls.map((call) => JSON.parse(String(call[0])) as Record<string, unknown>).filter((line) => line.event === "idem.decision");
}

describe("the decision log", () => {
  it("names the route and the rule, and logs the discarded copy as a deduplication", async () => {
    const accounts = freshAccounts();
    const decisions = await decisionsWhile(async () => {
      await sendCall(sale(), accounts);
      await sendCall(sale(), accounts);
    });
    expect(decisions).toEqual([
      expect.objectContaining({ route: "save-sales-document", outcome: "forwarded", rule: "saveSalesDocument" }),
      expect.objectContaining({ route: "save-sales-document", outcome: "deduplicated", rule: "saveSalesDocument" }),
    ]);
    expect(decisions[0]?.keyHash).toBe(decisions[1]?.keyHash);
  });

  it("names Berlin POS's rule for Berlin POS, and the payment rule on the payment route", async () => {
    const accounts = freshAccounts();
    const decisions = await decisionsWhile(async () => {
      await sendCall(berlinSale(), accounts);
      await sendCall(payment(), accounts);
    });
    expect(decisions).toEqual([
      expect.objectContaining({ route: "save-sales-document", rule: "saveSalesDocument-berlin-pos" }),
      expect.objectContaining({ route: "save-payment", rule: "savePayment" }),
    ]);
  });

  it("shows when no rule checked a request (a prerequisite is missing)", async () => {
    const [decision] = await decisionsWhile(() => sendCall(sale({ time: undefined }), freshAccounts()));
    expect(decision).toMatchObject({ route: "save-sales-document", outcome: "passed-through" });
    expect(decision?.rule).toBeUndefined();
  });

  it("shows a reused temporaryUUID as rejected by its key, not as a deduplication", async () => {
    const accounts = freshAccounts();
    const keyed = sale({ temporaryUUID: newTag() });
    const decisions = await decisionsWhile(async () => {
      await sendCall(keyed, accounts);
      await sendCall(keyed, accounts);
    });
    expect(decisions.at(-1)).toMatchObject({ outcome: "rejected" });
    expect(decisions.at(-1)?.rule).toBeUndefined();
  });
});
