/** What an admin request did. */
export type AdminAction = "health" | "inspect" | "lookup" | "purge" | "problem-docs" | "refused";

/** One line per admin request. Never holds the token, a raw key or scope values. */
export interface AdminLog {
  action: AdminAction;
  method: string;
  /** The admin path, e.g. `/__idem/records/5c0e…` (no query string). */
  path: string;
  status: number;
  /** The record acted on. */
  record?: string;
  /** Why the request was refused, or what a purge found (`purged`, `not-found`, `running`). */
  result?: string;
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
