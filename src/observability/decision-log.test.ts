import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { captureLogs } from "../../test/support/logs.ts";
import { type DecisionLog, logSampledDecision } from "./decision-log.ts";

const passThrough: DecisionLog = { route: null, outcome: "passed-through", method: "GET", status: 200, totalMs: 2, gatewayMs: 1, originMs: 1 };
const replay: DecisionLog = { route: "orders", outcome: "replayed", method: "POST", status: 201, totalMs: 1, gatewayMs: 1 };

let logs: ReturnType<typeof captureLogs>;
beforeEach(() => {
  logs = captureLogs();
});
afterEach(() => logs.restore());

describe("logSampledDecision", () => {
  it("logs every pass-through at rate 1, without a sampleRate", () => {
    logSampledDecision(passThrough, 1, () => 0.999);
    expect(logs.lines("idem.decision")).toEqual([{ event: "idem.decision", ...passThrough }]);
  });

  it("below 1, logs the pass-throughs the draw keeps, each marked with its rate", () => {
    logSampledDecision(passThrough, 0.25, () => 0.1);
    logSampledDecision(passThrough, 0.25, () => 0.25);
    logSampledDecision(passThrough, 0.25, () => 0.9);
    expect(logs.lines("idem.decision")).toEqual([{ event: "idem.decision", ...passThrough, sampleRate: 0.25 }]);
  });

  it("logs every other decision whatever the rate", () => {
    logSampledDecision(replay, 0, () => 0.999);
    expect(logs.lines("idem.decision")).toEqual([{ event: "idem.decision", ...replay }]);
  });
});
