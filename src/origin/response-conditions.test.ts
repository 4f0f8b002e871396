import { describe, expect, it } from "vitest";
import { parseFieldRef } from "../request/field-ref.ts";
import type { OriginResponse } from "./exchange.ts";
import { responseMatches } from "./response-conditions.ts";

const erplyError = [{ field: parseFieldRef("body:/status/responseStatus"), values: ["error"] }];

function response(body: string, headers: [string, string][] = [["content-type", "application/json"]], rest?: ReadableStream<Uint8Array>): OriginResponse {
  return { ok: true, status: 200, headers, storableHeaders: headers, body: new TextEncoder().encode(body), rest, originMs: 1 };
}

describe("responseMatches", () => {
  it("matches an Erply error envelope and not a success", () => {
    expect(responseMatches(erplyError, response('{"status":{"responseStatus":"error","errorCode":1002},"records":null}'))).toBe(true);
    expect(responseMatches(erplyError, response('{"status":{"responseStatus":"ok","errorCode":0},"records":[]}'))).toBe(false);
  });

  it("reads response headers", () => {
    const conditions = [{ field: parseFieldRef("header:X-Outcome"), values: ["failed", "rejected"] }];
    expect(responseMatches(conditions, response("", [["x-outcome", "rejected"]]))).toBe(true);
    expect(responseMatches(conditions, response("", [["x-outcome", "done"]]))).toBe(false);
  });

  it("does not match a body it cannot read: invalid JSON, or one past the buffer limit", () => {
    expect(responseMatches(erplyError, response('{"status":'))).toBe(false);
    const rest = new ReadableStream<Uint8Array>();
    // The first bytes alone would match; the whole body was never read, so it is not judged.
    expect(responseMatches(erplyError, response('{"status":{"responseStatus":"error"}}', undefined, rest))).toBe(false);
  });

  it("never matches when the route sets no conditions", () => {
    expect(responseMatches([], response('{"status":{"responseStatus":"error"}}'))).toBe(false);
  });
});
