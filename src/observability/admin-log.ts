/** What an admin request did. */
export type AdminAction = "health" | "inspect" | "list" | "lookup" | "purge" | "resolve" | "problem-docs" | "refused";

/** One line per admin request. Never holds the token, a raw key or scope values. */
export interface AdminLog {
  action: AdminAction;
  method: string;
  /** The admin path, e.g. `/__idem/records/5c0e…` (no query string). */
  path: string;
  status: number;
  /** The record acted on. */
  record?: string;
  /** Why the request was refused, or what a purge or resolve did (`purged`, `resolved`, `not-found`, `running`, …). */
  result?: string;
  /** The state the record was in before a purge or a resolve (e.g. `outcome-unknown`). */
  previous?: string;
  /** The status of the response an operator stored (`resolve`). */
  responseStatus?: number;
}

/**
 * Writes an admin action as one JSON object for Workers Logs.
 *
 * @example
 * logAdminAction({ action: "purge", method: "DELETE", path: "/__idem/records/5c0e…", status: 200, record: "5c0e…", result: "purged" });
 */
export function logAdminAction(entry: AdminLog): void {
  console.log(JSON.stringify({ event: "idem.admin", ...entry }));
}
