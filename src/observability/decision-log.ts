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
