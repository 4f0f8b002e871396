/**
 * What the gateway decided for one request, as the decision log line and the
 * Analytics Engine data point name it (docs/observability.md). Only ever add
 * words: dashboards and alerts query them.
 */
export type Outcome =
  | "passed-through"
  | "forwarded"
  | "replayed"
  | "waited-then-replayed"
  | "deduplicated"
  | "conflict"
  | "mismatch"
  | "rejected"
  | "edit-timeout"
  | "delete-in-progress"
  | "origin-error"
  | "outcome-unknown"
  | "unknown-replayed"
  | "not-replayable"
  | "invalid-request"
  | "unavailable"
  /** A bulk request: each of its calls had its own decision. */
  | "batched";

/** `unknown-replayed`: a retry told what Idem remembered of a first attempt whose outcome is unknown. */
const FROM_STORAGE: ReadonlySet<Outcome> = new Set(["replayed", "waited-then-replayed", "deduplicated", "unknown-replayed"]);

/**
 * Whether an answer with this outcome came from storage rather than from the origin.
 *
 * @example
 * isReplayed("waited-then-replayed") // true
 * isReplayed("forwarded") // false
 */
export function isReplayed(outcome: Outcome): boolean {
  return FROM_STORAGE.has(outcome);
}
