import { describe, expect, it } from "vitest";
import { CompletedRecords, MAX_KEPT_BYTES, MAX_KEPT_RECORD_BYTES } from "./completed-records.ts";
import type { IdemRecord } from "./record-schema.ts";

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

/** Keeps as many full-size records as fit in all, named `${prefix}0`, `${prefix}1`, …; returns their IDs. */
function fill(kept: CompletedRecords, prefix: string): string[] {
  const ids = Array.from({ length: Math.floor(MAX_KEPT_BYTES / MAX_KEPT_RECORD_BYTES) }, (_, i) => `${prefix}${i}`);
  for (const id of ids) kept.keep(record(id), MAX_KEPT_RECORD_BYTES);
  return ids;
}

const keptOf = (kept: CompletedRecords, ids: readonly string[]) => ids.filter((id) => kept.get(id) !== undefined);

describe("CompletedRecords", () => {
  it("keeps completed records only, and small ones only", () => {
    const kept = new CompletedRecords();
    kept.keep(record("a"), 10);
    kept.keep(record("b", "in_flight"), 10);
    kept.keep(record("c", "unknown"), 10);
    kept.keep(record("d"), MAX_KEPT_RECORD_BYTES + 1);
    expect(keptOf(kept, ["a", "b", "c", "d"])).toEqual(["a"]);
  });

  it(`keeps ${MAX_KEPT_BYTES} bytes in all, dropping the oldest first`, () => {
    const kept = new CompletedRecords();
    const ids = fill(kept, "r");
    expect(keptOf(kept, ids)).toEqual(ids);
    kept.keep(record("newest"), 1);
    expect(keptOf(kept, [...ids, "newest"])).toEqual([...ids.slice(1), "newest"]);
  });

  it("gives back the room of a record dropped, kept again, or cleared", () => {
    const kept = new CompletedRecords();
    kept.keep(record("a"), MAX_KEPT_RECORD_BYTES);
    kept.keep(record("a"), MAX_KEPT_RECORD_BYTES);
    kept.drop("a");
    expect(kept.get("a")).toBeUndefined();
    const ids = fill(kept, "r");
    expect(keptOf(kept, ids)).toEqual(ids);
    kept.clear();
    expect(keptOf(kept, ids)).toEqual([]);
    expect(keptOf(kept, fill(kept, "s"))).toHaveLength(ids.length);
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
