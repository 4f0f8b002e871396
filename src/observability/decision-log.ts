import type { Outcome } from "../protocol/outcomes.ts";

/** One line per gateway decision, indexed by Workers Logs. Never holds a raw key, body or credential. */
export interface DecisionLog {
  route: string | null;
  /** The origin the request went to (`origin`, or a name from `origins`); absent when Idem refused it. */
  origin?: string;
  outcome: Outcome;
  method: string;
  /** The status the client got. */
  status: number;
  /** The origin's status, when an origin answer (live or stored) is behind the response. */
  originStatus?: number;
  /**
   * The record ID: a SHA-256 of route, caller scope hash and key (or dedup
   * content hash). Pass it to the admin API to inspect or purge the record.
   */
  record?: string;
  /** Name of the dedup rule that matched. */
  rule?: string;
  /** The error kind, when Idem answered with an error. */
  error?: string;
  /** For one call of a bulk request: the bulk route's name (the bulk request has a line of its own). */
  batch?: string;
  /** From the request's arrival to the response's headers. */
  totalMs: number;
  /** The part of `totalMs` not spent waiting for the origin: what Idem adds. */
  gatewayMs: number;
  /** Time waiting for the origin's response headers; absent when the origin was not called. */
  originMs?: number;
  /** On a sampled pass-through line (`decisionLog.passThroughRate` below 1): the rate, so that each line counts for 1/sampleRate decisions. */
  sampleRate?: number;
}

/**
 * Writes the decision as one JSON object, the shape Workers Logs indexes.
 *
 * @example
 * logDecision({ route: "orders", outcome: "replayed", method: "POST", status: 201, totalMs: 3, gatewayMs: 3 });
 */
export function logDecision(entry: DecisionLog): void {
  console.log(JSON.stringify({ event: "idem.decision", ...entry }));
}

/**
 * Logs a decision, or a sample of them when it is a pass-through: Workers
 * Logs bills each line as an event (twice what the request costs), and on an
 * API where most requests carry no key those lines are most of the bill,
 * while every decision about a record, and every failure, stays logged. A
 * sampled line carries its `sampleRate`; the Analytics Engine data point
 * still counts every decision.
 *
 * @example
 * logSampledDecision(entry, config.decisionLog.passThroughRate); // with 0.01: about one pass-through line in a hundred
 */
export function logSampledDecision(entry: DecisionLog, passThroughRate: number, random: () => number = Math.random): void {
  if (entry.outcome !== "passed-through" || passThroughRate >= 1) logDecision(entry);
  else if (random() < passThroughRate) logDecision({ ...entry, sampleRate: passThroughRate });
}
