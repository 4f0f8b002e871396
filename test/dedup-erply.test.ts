import { afterEach, describe, expect, it, vi } from "vitest";
import { DUPLICATES, type ErplyCall, erplyForm, freshAccounts, NOT_DUPLICATES, sale } from "./fixtures/erply-dedup-cases.ts";
import { erplyDedupRoute } from "./fixtures/erply-dedup.ts";
import { gatewayFor, newTag, originLog } from "./support/gateway.ts";

// The demo origin answers {"executed": n, …}, not Erply's envelope, so the rules run here without their
// successWhen; test/e2e/erply-dedup.e2e.test.ts runs them as shipped against an Erply-like origin.
const send = gatewayFor({
  routes: [{ ...erplyDedupRoute, dedup: erplyDedupRoute.dedup.map(({ successWhen: _, ...rule }) => rule) }],
});

function erplyRequest(call: ErplyCall, tag: string, accounts: Record<"A" | "B", string>, extra: Fields = {}): Request {
  return new Request("https://idem.test/api/", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "demo-tag": tag },
    body: erplyForm({ ...call, fields: { ...call.fields, ...extra } }, accounts),
  });
}
type Fields = ErplyCall["fields"];

afterEach(() => {
  vi.restoreAllMocks();
});

describe("Erply's rules: caught as duplicates", () => {
  it.each(DUPLICATES)("$case", async ({ first, second }) => {
    const tag = newTag();
    const accounts = freshAccounts();
    const original = await send(erplyRequest(first, tag, accounts));
    expect(original.status).toBe(200);
    expect(original.headers.get("idempotent-replayed")).toBeNull();
    const originalBody = await original.text();

    const copy = await send(erplyRequest(second, tag, accounts));
    expect(copy.headers.get("idempotent-replayed")).toBe("true");
    expect(await copy.text()).toBe(originalBody);
    expect(await originLog(tag)).toHaveLength(1);
  });
});

describe("Erply's rules: not duplicates, each reaches the origin", () => {
  it.each(NOT_DUPLICATES)("$case", async ({ first, second }) => {
    const tag = newTag();
    const accounts = freshAccounts();
    const a = await send(erplyRequest(first, tag, accounts));
    const b = await send(erplyRequest(second, tag, accounts));
    expect(b.headers.get("idempotent-replayed")).toBeNull();
    expect((await b.json<{ executed: number }>()).executed).not.toBe((await a.json<{ executed: number }>()).executed);
    expect(await originLog(tag)).toHaveLength(2);
  });

  it("a compared field sent twice, even with one value: no duplicate check, and no refusal", async () => {
    const tag = newTag();
    const accounts = freshAccounts();
    await send(erplyRequest(sale(), tag, accounts));
    const twice = new Request("https://idem.test/api/", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "demo-tag": tag },
      body: `${erplyForm(sale(), accounts)}&invoiceNo=1001`,
    });
    const response = await send(twice);
    expect(response.status).toBe(200);
    expect(response.headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(2);
  });
});

describe("requests with an idempotency key (temporaryUUID)", () => {
  it("follow key semantics: the same sale under two keys is two requests", async () => {
    const tag = newTag();
    const accounts = freshAccounts();
    await send(erplyRequest(sale(), tag, accounts, { temporaryUUID: "uuid-1" }));
    const other = await send(erplyRequest(sale(), tag, accounts, { temporaryUUID: "uuid-2" }));
    expect(other.headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(2);
  });

  it("are replayed by key, not deduplicated by content", async () => {
    const tag = newTag();
    const accounts = freshAccounts();
    const logged = vi.spyOn(console, "log");
    await send(erplyRequest(sale(), tag, accounts, { temporaryUUID: "uuid-3" }));
    const retry = await send(erplyRequest(sale(), tag, accounts, { temporaryUUID: "uuid-3" }));
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await originLog(tag)).toHaveLength(1);
    const last = JSON.parse(String(logged.mock.calls.at(-1)?.[0]));
    expect(last).toMatchObject({ outcome: "replayed" });
    expect(last.rule).toBeUndefined();
  });
});

describe("the decision log", () => {
  it("names the rule, and logs the discarded copy as a deduplication", async () => {
    const tag = newTag();
    const accounts = freshAccounts();
    const logged = vi.spyOn(console, "log");
    await send(erplyRequest(sale(), tag, accounts));
    await send(erplyRequest(sale(), tag, accounts));
    const decisions = logged.mock.calls.map((call) => JSON.parse(String(call[0])));
    expect(decisions).toEqual([
      expect.objectContaining({ event: "idem.decision", route: "erply-api", outcome: "forwarded", rule: "saveSalesDocument" }),
      expect.objectContaining({ event: "idem.decision", route: "erply-api", outcome: "deduplicated", rule: "saveSalesDocument" }),
    ]);
    expect(decisions[0].keyHash).toBe(decisions[1].keyHash);
  });

  it("shows when no rule checked a request (a prerequisite is missing)", async () => {
    const tag = newTag();
    const logged = vi.spyOn(console, "log");
    await send(erplyRequest(sale({ time: undefined }), tag, freshAccounts()));
    const decision = JSON.parse(String(logged.mock.calls.at(-1)?.[0]));
    expect(decision).toMatchObject({ outcome: "passed-through" });
    expect(decision.rule).toBeUndefined();
  });
});
