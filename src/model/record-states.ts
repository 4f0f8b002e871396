/**
 * A record's states, spelled two ways: as stored (the `state` column, which
 * records already written keep) and as the admin API, the CLI and the record
 * snapshots show them. This map is the one place the two spellings meet.
 *
 * @example
 * SHOWN_STATES.unknown // "outcome-unknown"
 */
export const SHOWN_STATES = { in_flight: "in-flight", unknown: "outcome-unknown", completed: "completed" } as const;

/** A record's state in storage. */
export type RecordState = keyof typeof SHOWN_STATES;

/** A stored state as the admin API shows it. */
export type ShownState = (typeof SHOWN_STATES)[RecordState];

/**
 * The stored state of a state as the admin API spells it (a list's `state`), or undefined for any other word.
 *
 * @example
 * storedState("outcome-unknown") // "unknown"
 */
export function storedState(shown: string): RecordState | undefined {
  return (Object.keys(SHOWN_STATES) as RecordState[]).find((state) => SHOWN_STATES[state] === shown);
}
