import type { Outcome } from "../objects/protocol.ts";

/** One line per gateway decision, indexed by Workers Logs. Never holds a raw key, body or credential. */
export interface DecisionLog {
  route: string | null;
  outcome: Outcome;
  method: string;
  status: number;
  originStatus?: number;
  /** First 16 hex digits of the record ID (itself a hash of route, scope and key). */
  keyHash?: string;
  /** Name of the dedup rule that matched. */
  rule?: string;
  error?: string;
  totalMs: number;
  originMs?: number;
}

/**
 * Writes the decision as one JSON object, the shape Workers Logs indexes.
 *
 * @example
 * logDecision({ route: "orders", outcome: "replayed", method: "POST", status: 201, totalMs: 3 });
 */
export function logDecision(entry: DecisionLog): void {
  console.log(JSON.stringify({ event: "idem.decision", ...entry }));
}
