export type { ErrorKind };

interface KindInfo {
  status: number;
  title: string;
  /** The code the `erply` profile uses unless the route overrides it. */
  erplyCode?: number;
  /** Headers every answer of this kind carries, whatever the error format. */
  headers?: Readonly<Record<string, string>>;
}

/**
 * Every error Idem can answer with, in one table: its default HTTP status, its
 * problem title, and its Erply error code where Erply documents one.
 */
export const ERROR_CATALOG: Record<ErrorKind, KindInfo> = {
  // Erply: 1014 "incorrect data type or format", 1010 "required parameters are missing", 1015 "malformed request".
  "invalid-key": { status: 400, title: "Invalid idempotency key", erplyCode: 1014 },
  "key-required": { status: 400, title: "Idempotency key required", erplyCode: 1010 },
  "invalid-body": { status: 400, title: "Request body cannot be read", erplyCode: 1015 },
  "unsupported-media-type": { status: 415, title: "Request body in a form this route does not read", erplyCode: 1015 },
  "body-too-large": { status: 413, title: "Request body too large" },
  "ambiguous-path": { status: 400, title: "Ambiguous request path" },
  "method-not-allowed": {
    status: 405,
    title: "Method not allowed",
    headers: { allow: "GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE" },
  },
  "origin-not-allowed": { status: 400, title: "The request names no allowed origin" },
  "fingerprint-mismatch": { status: 422, title: "Idempotency key reused with a different request" },
  "in-progress": { status: 409, title: "A request with this key is still in progress", erplyCode: 1204 },
  "key-already-used": { status: 409, title: "Idempotency key already used", erplyCode: 1206 },
  "edit-timeout": { status: 409, title: "Document is being edited by a slow request", erplyCode: 1205 },
  "delete-in-progress": { status: 409, title: "Document is already being deleted", erplyCode: 1204 },
  "response-not-replayable": { status: 409, title: "Request already executed; its response was too large to keep" },
  "origin-timeout": { status: 504, title: "Origin did not answer in time" },
  "origin-unreachable": { status: 502, title: "Origin could not be reached" },
  "origin-broken-response": { status: 502, title: "Origin response broke off" },
  "origin-invalid-status": { status: 502, title: "Origin answered with an invalid status" },
  /** 502, or 504 when the failure behind it was a timeout (the occurrence sets it). */
  "outcome-unknown": { status: 502, title: "Outcome unknown: the request may have been executed" },
  "coordinator-unavailable": { status: 503, title: "Idempotency store unavailable" },
  "caller-unidentified": { status: 400, title: "Caller cannot be identified", erplyCode: 1010 },
  "batch-too-large": { status: 400, title: "Too many calls in one bulk request", erplyCode: 1015 },
  "version-skew": { status: 503, title: "Idem versions disagree while a deploy rolls out" },
};

/** Problems of the admin API. They are Idem's own, so no route's error profile reshapes them. */
export const ADMIN_ERROR_CATALOG = {
  "admin-disabled": { status: 404, title: "Admin API disabled" },
  "admin-unauthorized": { status: 401, title: "Admin token missing or wrong" },
  "admin-not-found": { status: 404, title: "No such admin endpoint" },
  "admin-invalid-request": { status: 400, title: "Invalid admin request" },
  "admin-body-too-large": { status: 413, title: "Admin request body too large" },
  "admin-record-not-found": { status: 404, title: "No such record" },
  "admin-record-running": { status: 409, title: "Record still running at the origin" },
  "admin-record-completed": { status: 409, title: "Record already holds the origin's answer" },
  "admin-no-record": { status: 422, title: "This request has no record" },
  "admin-unavailable": { status: 503, title: "Record store unavailable" },
} as const satisfies Record<string, KindInfo>;

export type AdminErrorKind = keyof typeof ADMIN_ERROR_CATALOG;

import type { ErrorKind } from "../model/enumerations.ts";
