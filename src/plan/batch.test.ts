import { describe, expect, it } from "vitest";
import { loadConfig } from "../config/load.ts";
import type { Route } from "../model/config.ts";
import { RequestFields } from "../request/request-fields.ts";
import { BatchError, splitBatch } from "./batch.ts";

const route = loadConfig({
  origin: "https://api.example",
  routes: [{ name: "bulk", path: "/api/", batch: { field: "param:requests", format: "erply", maxCalls: 3 } }],
}).routes[0] as Route & { batch: NonNullable<Route["batch"]> };

function bulk(body: string, query = ""): RequestFields {
  const headers = new Headers({ "content-type": "application/x-www-form-urlencoded", "x-tag": "t" });
  return new RequestFields(new URL(`https://idem.test/api/${query}`), headers, new TextEncoder().encode(body));
}

const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
const text = (bytes: Uint8Array) => Object.fromEntries(new URLSearchParams(new TextDecoder().decode(bytes)));

describe("splitBatch", () => {
  it("writes each call as the single request it stands for: shared parameters, then its own, named by `request`", () => {
    const calls = JSON.stringify([
      { requestName: "saveSalesDocument", requestID: 1, temporaryUUID: "u1", sessionKey: "own", sum: 10.5 },
      { requestName: "getProducts", requestID: "b" },
    ]);
    const { shared, calls: split } = splitBatch(route, bulk(form({ clientCode: "1", sessionKey: "s", requests: calls }), "?requests=x&lang=et"));
    expect(shared).toEqual([
      ["clientCode", "1"],
      ["sessionKey", "s"],
    ]);
    expect(split.map((call) => [call.name, call.id])).toEqual([
      ["saveSalesDocument", 1],
      ["getProducts", "b"],
    ]);
    expect(text(split[0]?.body ?? new Uint8Array())).toEqual({
      clientCode: "1",
      sessionKey: "own",
      temporaryUUID: "u1",
      sum: "10.5",
      request: "saveSalesDocument",
    });
    expect(split[0]?.url.search).toBe("?lang=et");
    expect(split[0]?.headers.get("content-type")).toBe("application/x-www-form-urlencoded");
    expect(split[0]?.headers.get("x-tag")).toBe("t");
  });

  it("keeps a number's digits as written (10.50 stays 10.50)", () => {
    const { calls } = splitBatch(route, bulk(form({ requests: '[{"requestName":"savePayment","sum":10.50}]' })));
    expect(text(calls[0]?.body ?? new Uint8Array()).sum).toBe("10.50");
  });

  it.each([
    ["not JSON", "["],
    ["not an array", '{"requestName":"x"}'],
    ["a call without requestName", '[{"requestID":1}]'],
    ["a call that is not an object", '["getProducts"]'],
    ["a call holding a bulk request of its own", '[{"requestName":"x","requests":"[]"}]'],
    ["a call naming one member twice (origins keep the first or the last)", '[{"requestName":"x","temporaryUUID":"a","temporaryUUID":"b"}]'],
  ])("refuses a batch field that is %s", (_, requests) => {
    expect(() => splitBatch(route, bulk(form({ requests })))).toThrow(BatchError);
  });

  it("refuses more calls than maxCalls, naming the limit", () => {
    const requests = JSON.stringify(Array.from({ length: 4 }, () => ({ requestName: "getProducts" })));
    expect(() => splitBatch(route, bulk(form({ requests })))).toThrow(
      expect.objectContaining({ kind: "batch-too-large", message: expect.stringContaining("holds 4 calls; one request may hold at most 3") }),
    );
  });
});
