import { describe, expect, it } from "vitest";
import { failureOfStatus, failureOfThrown, invalidStatus } from "./exchange-outcome.ts";

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

  it("anything thrown is unknown, whatever it says", () => {
    const lost = new Error("Network connection lost.");
    expect(failureOfThrown(lost, { stage: "head", timedOut: false, timeoutMs: 100, bytesRead: 0 })).toMatchObject({
      end: "unknown",
      kind: "origin-unreachable",
    });
    expect(failureOfThrown(lost, { stage: "head", timedOut: true, timeoutMs: 100, bytesRead: 0 })).toMatchObject({
      end: "unknown",
      kind: "origin-timeout",
      detail: "the origin did not answer within 100 ms",
    });
    expect(failureOfThrown(lost, { stage: "body", timedOut: false, timeoutMs: 100, bytesRead: 44 })).toMatchObject({
      end: "unknown",
      kind: "origin-broken-response",
      detail: "the origin's response body broke off after 44 bytes (Network connection lost.)",
    });
    expect(failureOfThrown(new TypeError("connect ECONNREFUSED"), { stage: "head", timedOut: false, timeoutMs: 100, bytesRead: 0 }).end).toBe(
      "unknown",
    );
  });
});
