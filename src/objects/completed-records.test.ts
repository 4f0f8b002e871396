import { describe, expect, it } from "vitest";
import { CompletedRecords, MAX_KEPT_BYTES, MAX_KEPT_RECORD_BYTES } from "./completed-records.ts";
import type { IdemRecord } from "./record-store.ts";

function record(id: string, state: IdemRecord["state"] = "completed"): IdemRecord {
  return {
    id,
    kind: "key",
    route: "orders",
    fingerprint: "f",
    state,
    createdAt: 0,
    expiresAt: 1,
    lockExpiresAt: null,
    status: 201,
    headers: [],
    bodySize: 2,
    bodyRetained: true,
    bodyHead: new Uint8Array(2),
    failure: null,
  };
}

describe("CompletedRecords", () => {
  it("keeps completed records only, and small ones only", () => {
    const kept = new CompletedRecords();
    kept.keep(record("a"), 10);
    kept.keep(record("b", "in_flight"), 10);
    kept.keep(record("c", "unknown"), 10);
    kept.keep(record("d"), MAX_KEPT_RECORD_BYTES + 1);
    expect(["a", "b", "c", "d"].map((id) => kept.get(id)?.id)).toEqual(["a", undefined, undefined, undefined]);
    expect(kept.bytes).toBe(10);
  });

  it(`drops the oldest records past ${MAX_KEPT_BYTES} bytes in all`, () => {
    const kept = new CompletedRecords();
    const count = Math.floor(MAX_KEPT_BYTES / MAX_KEPT_RECORD_BYTES);
    for (let i = 0; i <= count; i++) kept.keep(record(`r${i}`), MAX_KEPT_RECORD_BYTES);
    expect(kept.get("r0")).toBeUndefined();
    expect(kept.get("r1")?.id).toBe("r1");
    expect(kept.get(`r${count}`)?.id).toBe(`r${count}`);
    expect(kept.bytes).toBe(count * MAX_KEPT_RECORD_BYTES);
  });

  it("forgets a dropped record and its bytes, and everything on clear", () => {
    const kept = new CompletedRecords();
    kept.keep(record("a"), 10);
    kept.keep(record("a"), 12);
    kept.keep(record("b"), 5);
    expect(kept.bytes).toBe(17);
    kept.drop("a");
    expect(kept.get("a")).toBeUndefined();
    expect(kept.bytes).toBe(5);
    kept.clear();
    expect([kept.get("b"), kept.bytes]).toEqual([undefined, 0]);
  });

  it("hands out records that cannot be changed in place", () => {
    const kept = new CompletedRecords();
    kept.keep(record("a"), 10);
    const held = kept.get("a") as IdemRecord;
    expect(() => {
      held.state = "unknown";
    }).toThrow(TypeError);
  });
});
