import { describe, expect, it } from "vitest";
import { failureOfAnswer, failureOfStatus, failureOfThrown, invalidStatus } from "./exchange-outcome.ts";

describe("how an exchange ends", () => {
  it.each([
    [200, undefined],
    [201, undefined],
    [500, undefined],
    [503, undefined],
    [599, undefined],
    [530, undefined],
  ])("%i is an answer", (status, expected) => {
    expect(failureOfStatus(status)).toBe(expected);
  });

  it.each([
    [520, "unknown", "origin-broken-response"],
    [521, "never-began", "origin-unreachable"],
    [522, "unknown", "origin-timeout"],
    [523, "never-began", "origin-unreachable"],
    [524, "unknown", "origin-timeout"],
    [525, "never-began", "origin-unreachable"],
    [526, "never-began", "origin-unreachable"],
  ])("Cloudflare's %i: %s (%s)", (status, end, kind) => {
    expect(failureOfStatus(status)).toMatchObject({ end, kind, originStatus: status });
  });

  it.each([0, 99, 100, 101, 199, 600, 999])("status %i cannot be handed on: unknown, origin-invalid-status", (status) => {
    expect(failureOfStatus(status)).toMatchObject({ end: "unknown", kind: "origin-invalid-status", originStatus: status });
    expect(invalidStatus(status)).toEqual(failureOfStatus(status));
  });

  it("a pass-through only refuses invalid statuses: 52x go on as they came", () => {
    expect(invalidStatus(521)).toBeUndefined();
    expect(invalidStatus(524)).toBeUndefined();
  });

  const network = { url: "http://orders.internal/orders" };
  const at = { stage: "head" as const, timedOut: false, timeoutMs: 100, bytesRead: 0, target: network };

  it("anything thrown is unknown, whatever it says, but a failed name lookup on plain HTTP", () => {
    const lost = new Error("Network connection lost.");
    expect(failureOfThrown(lost, at)).toMatchObject({ end: "unknown", kind: "origin-unreachable" });
    expect(failureOfThrown(lost, { ...at, timedOut: true })).toMatchObject({
      end: "unknown",
      kind: "origin-timeout",
      detail: "the origin did not answer within 100 ms",
    });
    expect(failureOfThrown(lost, { ...at, stage: "body", bytesRead: 44 })).toMatchObject({
      end: "unknown",
      kind: "origin-broken-response",
      detail: "the origin's response body broke off after 44 bytes (Network connection lost.)",
    });
    expect(failureOfThrown(new TypeError("connect ECONNREFUSED"), at).end).toBe("unknown");
  });

  describe("workerd's internal error before the head (its DNS lookup failed)", () => {
    const lookup = new Error("internal error; reference = h30m09jo42q2e7de9j42c93c");
    it("never began on a plain-HTTP URL", () => {
      expect(failureOfThrown(lookup, at)).toMatchObject({ end: "never-began", kind: "origin-unreachable" });
      expect(failureOfThrown(lookup, { ...at, target: { url: "HTTP://Orders.internal/" } }).end).toBe("never-began");
    });
    it.each([
      ["over HTTPS, where a TLS failure after the request was written throws it too", { ...at, target: { url: "https://orders.internal/" } }],
      ["through a service binding", { ...at, target: { url: "https://orders.internal/", binding: "ORDERS" } }],
      ["while the body was read", { ...at, stage: "body" as const, bytesRead: 10 }],
      ["after the timeout struck", { ...at, timedOut: true }],
    ])("unknown %s", (_, where) => {
      expect(failureOfThrown(lookup, where).end).toBe("unknown");
    });
  });

  const bytes = (text: string) => new TextEncoder().encode(text);

  it.each([1000, 1001, 1002, 1004, 1014, 1016, 1018, 1023, 1033])("Cloudflare's 530 with error code %i: never began", (code) => {
    expect(failureOfAnswer(network, 530, bytes(`error code: ${code}`))).toMatchObject({
      end: "never-began",
      kind: "origin-unreachable",
      originStatus: 530,
    });
  });

  it("reads the code from Cloudflare's JSON error format too", () => {
    const json = '{"error_code": 1016, "error_name": "origin_dns_error", "retryable": false}';
    expect(failureOfAnswer(network, 530, bytes(json))?.end).toBe("never-began");
  });

  it.each([
    ["a Worker in front of the origin threw (1101)", 530, "error code: 1101"],
    ["a 1xxx code that is not about reaching the origin (1020, access denied)", 530, "error code: 1020"],
    ["a 530 without a code", 530, "site frozen"],
    ["a 502 with a code (only 530 carries them)", 502, "error code: 1016"],
    ["the bound Worker's text from a URL origin", 503, 'Worker "orders" not found. Make sure it is running locally.'],
  ])("an answer, the origin's: %s", (_, status, text) => {
    expect(failureOfAnswer(network, status, bytes(text))).toBeUndefined();
  });

  const bound = { url: "https://orders.internal/orders", binding: "ORDERS" };

  it.each([
    'Worker "orders-api" not found. Make sure it is running locally.',
    'Worker "orders-api" is not compatible with this version of the dev server. Please update all Worker instances to the same version.',
  ])("wrangler's 503 for a bound Worker that is not running: never began (%s)", (text) => {
    expect(failureOfAnswer(bound, 503, bytes(text))).toMatchObject({ end: "never-began", kind: "origin-unreachable", originStatus: 503 });
  });

  it.each([
    [503, "Service Unavailable"],
    [530, "error code: 1016"],
    [500, 'Worker "orders-api" not found. Make sure it is running locally.'],
  ])("a bound Worker's own %i is its answer", (status, text) => {
    expect(failureOfAnswer(bound, status, bytes(text))).toBeUndefined();
  });
});
