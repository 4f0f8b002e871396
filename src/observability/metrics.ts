import type { DecisionLog } from "./decision-log.ts";

/**
 * Records one decision in the Workers Analytics Engine dataset, when the
 * Worker has one bound (`ANALYTICS`). Writes are fire-and-forget.
 *
 * Columns (docs/observability.md queries them by position, so only ever
 * append new ones):
 *
 * | column  | value                                          |
 * |---------|------------------------------------------------|
 * | index1  | route name ("" when no route matched)          |
 * | blob1   | route name                                     |
 * | blob2   | outcome (`forwarded`, `replayed`, …)           |
 * | blob3   | method                                         |
 * | blob4   | error kind, when Idem answered with an error   |
 * | blob5   | dedup rule, when one matched                   |
 * | double1 | total ms                                       |
 * | double2 | gateway ms (total minus origin)                |
 * | double3 | origin ms (0 when the origin was not called)   |
 * | double4 | status sent to the client                      |
 * | double5 | origin status (0 when none)                    |
 *
 * @example
 * writeDecisionMetrics(env.ANALYTICS, entry);
 */
export function writeDecisionMetrics(dataset: AnalyticsEngineDataset | undefined, entry: DecisionLog): void {
  if (!dataset) return;
  const route = entry.route ?? "";
  dataset.writeDataPoint({
    indexes: [route],
    blobs: [route, entry.outcome, entry.method, entry.error ?? "", entry.rule ?? ""],
    doubles: [entry.totalMs, entry.gatewayMs, entry.originMs ?? 0, entry.status, entry.originStatus ?? 0],
  });
}
