import type { ErrorKind } from "../errors/catalog.ts";
import type { HeaderList } from "../http/headers.ts";
import type { GuardedResult } from "./messages.ts";
import type { Outcome } from "./outcomes.ts";

/** An answer for the client: the origin's, live or stored. */
export interface ResponseResult {
  type: "response";
  outcome: Outcome;
  status: number;
  headers: HeaderList;
  body: Uint8Array | ReadableStream<Uint8Array>;
  originStatus?: number;
  originMs?: number;
  /** When the record behind this answer stops being replayed (ms since epoch). */
  expiresAt?: number;
}

/** An error Idem answers with itself, in the route's error format. */
export interface ErrorResult {
  type: "error";
  outcome: Outcome;
  kind: ErrorKind;
  detail: string;
  retryAfterSeconds?: number;
  members?: Record<string, unknown>;
  /** The request field the error is about (Erply's `errorField`). */
  field?: string;
  originMs?: number;
  expiresAt?: number;
}

/** What the gateway answers one request with. */
export type GatewayResult = ResponseResult | ErrorResult;

type ErrorExtras = Pick<ErrorResult, "retryAfterSeconds" | "members" | "field" | "originMs" | "expiresAt">;

/**
 * An error result.
 *
 * @example
 * errorResult("mismatch", "fingerprint-mismatch", "this key was first used for a different request", { expiresAt })
 */
export function errorResult(outcome: Outcome, kind: ErrorKind, detail: string, extras: ErrorExtras = {}): ErrorResult {
  return { type: "error", outcome, kind, detail, ...extras };
}

/**
 * A request Idem refuses before anything runs (400 family).
 *
 * @example
 * invalidRequest("key-required", "this route requires header:Idempotency-Key")
 */
export function invalidRequest(kind: ErrorKind, detail: string, field?: string): ErrorResult {
  return errorResult("invalid-request", kind, detail, { field });
}

/**
 * The record store (a Durable Object) could not be reached or written: 503,
 * retry after a second unless `extras` says otherwise.
 *
 * @example
 * coordinatorUnavailable("the idempotency record could not be reached (Network connection lost.)")
 */
export function coordinatorUnavailable(detail: string, extras: ErrorExtras = {}): ErrorResult {
  return errorResult("unavailable", "coordinator-unavailable", detail, { retryAfterSeconds: 1, ...extras });
}

/**
 * An exchange that produced no answer: the origin failed, or the document's
 * queue refused the call before it reached the origin.
 *
 * @example
 * exchangeFailed({ ok: false, kind: "origin-timeout", detail: "…", originMs: 30_000 }) // outcome "origin-error"
 */
export function exchangeFailed(failure: Extract<GuardedResult, { ok: false }>): ErrorResult {
  const outcome: Outcome = failure.kind === "edit-timeout" || failure.kind === "delete-in-progress" ? failure.kind : "origin-error";
  return errorResult(outcome, failure.kind, failure.detail, { originMs: failure.originMs });
}

/**
 * The origin's answer, live (passed on to the client that caused it) or
 * stored (replayed, without an `originMs`: the origin was not called).
 *
 * @example
 * answered("forwarded", { status: 201, headers, originMs: 12 }, body, expiresAt)
 */
export function answered(
  outcome: Outcome,
  answer: { status: number; headers: HeaderList; originMs?: number },
  body: ResponseResult["body"],
  expiresAt?: number,
): ResponseResult {
  return {
    type: "response",
    outcome,
    status: answer.status,
    headers: answer.headers,
    body,
    originStatus: answer.status,
    originMs: answer.originMs,
    expiresAt,
  };
}
