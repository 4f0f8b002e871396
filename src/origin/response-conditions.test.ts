import { describe, expect, it } from "vitest";
import { parseFieldRef } from "../request/field-ref.ts";
import type { OriginResponse } from "./exchange.ts";
import { meetsSuccessConditions } from "./response-conditions.ts";

const erplyOk = [{ field: parseFieldRef("body:/status/responseStatus"), values: ["ok"] }];

function response(
  body: string,
  headers: [string, string][] = [["content-type", "application/json"]],
  rest?: ReadableStream<Uint8Array>,
): OriginResponse {
  return { ok: true, status: 200, headers, storableHeaders: headers, body: new TextEncoder().encode(body), rest, originMs: 1 };
}

describe("meetsSuccessConditions", () => {
  it("tells an Erply success from an Erply error sent with HTTP 200", () => {
    expect(meetsSuccessConditions(erplyOk, response('{"status":{"responseStatus":"ok","errorCode":0},"records":[]}'))).toBe(true);
    expect(meetsSuccessConditions(erplyOk, response('{"status":{"responseStatus":"error","errorCode":1002},"records":null}'))).toBe(false);
  });

  it("reads response headers", () => {
    const conditions = [{ field: parseFieldRef("header:X-Outcome"), values: ["done", "accepted"] }];
    expect(meetsSuccessConditions(conditions, response("", [["x-outcome", "accepted"]]))).toBe(true);
    expect(meetsSuccessConditions(conditions, response("", [["x-outcome", "failed"]]))).toBe(false);
  });

  it("does not count a body it cannot read: invalid JSON, or one past the buffer limit", () => {
    expect(meetsSuccessConditions(erplyOk, response('{"status":'))).toBe(false);
    const rest = new ReadableStream<Uint8Array>();
    // The first bytes alone would pass; the whole body was never read, so it is not judged a success.
    expect(meetsSuccessConditions(erplyOk, response('{"status":{"responseStatus":"ok"}}', undefined, rest))).toBe(false);
  });

  it("reads an answer that starts with a byte order mark (some servers send one), and a gzip answer fetch() has decoded", () => {
    expect(meetsSuccessConditions(erplyOk, response('\uFEFF{"status":{"responseStatus":"ok"}}'))).toBe(true);
    const gzipped: [string, string][] = [
      ["content-type", "application/json"],
      ["content-encoding", "gzip"],
    ];
    expect(meetsSuccessConditions(erplyOk, response('{"status":{"responseStatus":"ok"}}', gzipped))).toBe(true);
  });

  it("counts every answer when there are no conditions", () => {
    expect(meetsSuccessConditions([], response('{"status":{"responseStatus":"error"}}'))).toBe(true);
  });
});
