import type { HeaderList } from "../http/headers.ts";
import type { ErrorKind } from "../model/enumerations.ts";
import type { GuardedResult } from "./messages.ts";
import type { Outcome } from "./outcomes.ts";
import type { RecordFailure } from "./snapshots.ts";

/** An answer for the client: the origin's, live or stored. */
export interface ResponseResult {
  type: "response";
  outcome: Outcome;
  status: number;
  /** A list when the answer crossed RPC or storage; a Headers object when a pass-through built it in the Worker. */
  headers: HeaderList | Headers;
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
  /** This occurrence's HTTP status, when it is not the kind's (an `outcome-unknown` after a timeout is a 504). */
  status?: number;
  /** The status the origin (or Cloudflare in front of it) sent instead of an answer. */
  originStatus?: number;
  retryAfterSeconds?: number;
  members?: Record<string, unknown>;
  /** The request field the error is about (Erply's `errorField`). */
  field?: string;
  originMs?: number;
  expiresAt?: number;
}

/** What the gateway answers one request with. */
export type GatewayResult = ResponseResult | ErrorResult;

/** What became of one call of a bulk exchange: the origin's entry as it came (a call without record), or the call's result. */
export type BatchCallResult = GatewayResult | { type: "entry"; entry: unknown };

/** The outcome of a bulk exchange, one result per call in the order sent. */
export interface BatchRunResult {
  /** The origin's top-level status, when it answered. */
  status?: Record<string, unknown>;
  originMs?: number;
  results: BatchCallResult[];
}

type ErrorExtras = Pick<ErrorResult, "status" | "originStatus" | "retryAfterSeconds" | "members" | "field" | "originMs" | "expiresAt">;

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
 * An exchange that produced no answer, when nothing is remembered of it: the
 * origin failed, or the document's queue (or another version's object)
 * refused the call before it reached the origin. `note` adds what it means
 * for a retry with the same key.
 *
 * @example
 * exchangeFailed({ ok: false, end: "unknown", kind: "origin-timeout", detail: "…", originMs: 30_000 }) // outcome "origin-error"
 */
export function exchangeFailed(failure: Extract<GuardedResult, { ok: false }>, note = ""): ErrorResult {
  const outcome: Outcome =
    failure.kind === "edit-timeout" || failure.kind === "delete-in-progress"
      ? failure.kind
      : failure.kind === "coordinator-unavailable"
        ? "unavailable"
        : "origin-error";
  return errorResult(outcome, failure.kind, `${failure.detail}${note}`, {
    originMs: failure.originMs,
    originStatus: failure.originStatus,
    // The document's object speaks another version: that clears within minutes of a deploy, so retry at once.
    ...(failure.kind === "coordinator-unavailable" ? { retryAfterSeconds: 1 } : {}),
    ...(failure.originStatus === undefined ? {} : { members: { originalStatus: failure.originStatus } }),
  });
}

/** Failures that were a wait running out: their `outcome-unknown` is a 504, the others a 502. */
const TIMEOUTS: ReadonlySet<string> = new Set(["origin-timeout"]);

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The answer for a request whose outcome is unknown: to the request that
 * failed (`replayed: false`) and, while the record is remembered, to every
 * retry with its key (`replayed: true`, sent with `Idempotent-Replayed`).
 * The detail tells the client what to do, since retrying cannot help.
 *
 * @example
 * unknownOutcome({ kind: "origin-timeout", detail: "the origin did not answer within 30000 ms", at }, expiresAt, true)
 * // { type: "error", kind: "outcome-unknown", status: 504, outcome: "unknown-replayed", members: { failure: "origin-timeout", … }, … }
 */
export function unknownOutcome(failure: RecordFailure, expiresAt: number | undefined, replayed: boolean): ErrorResult {
  const until = expiresAt === undefined ? "" : ` (until ${iso(expiresAt)})`;
  return errorResult(
    replayed ? "unknown-replayed" : "outcome-unknown",
    "outcome-unknown",
    `the request with this key may have been executed, but its outcome is unknown: ${failure.detail} (${iso(failure.at)}). ` +
      `Idem will not send it to the origin again while it remembers this key${until}, so retrying with this key does not help. ` +
      "Find out from the API whether it took effect; if it did not, send it with a new key. An operator can resolve the key through Idem's admin API.",
    {
      status: TIMEOUTS.has(failure.kind) ? 504 : 502,
      originStatus: failure.originStatus,
      members: {
        failure: failure.kind,
        failedAt: iso(failure.at),
        ...(failure.originStatus === undefined ? {} : { originalStatus: failure.originStatus }),
      },
      expiresAt,
    },
  );
}

/**
 * Why a message was refused between sides of different protocol versions
 * (`sent`: the message's, `speaks`: the receiver's; a message from before
 * versions is version 1). It was not acted on, so the client may retry at
 * once: a rollout finishes within minutes.
 *
 * @example
 * versionSkewDetail("KeyObject", { sent: 1, speaks: 2 }) // "a KeyObject speaking version 2 of Idem's object messages received one of version 1 …"
 */
export function versionSkewDetail(receiver: string, versions: { sent: number | undefined; speaks: number }): string {
  return `a ${receiver} speaking version ${versions.speaks} of Idem's object messages received one of version ${versions.sent ?? 1} while a deploy rolls out; the request was not forwarded to the origin, retry shortly`;
}

/**
 * The refusal of a message of another protocol version (see OBJECT_PROTOCOL).
 *
 * @example
 * versionSkew("KeyObject", { sent: 1, speaks: OBJECT_PROTOCOL }) // { type: "error", kind: "version-skew", retryAfterSeconds: 1, … }
 */
export function versionSkew(receiver: string, versions: { sent: number | undefined; speaks: number }): ErrorResult {
  return errorResult("unavailable", "version-skew", versionSkewDetail(receiver, versions), { retryAfterSeconds: 1 });
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
  answer: { status: number; headers: HeaderList | Headers; originMs?: number },
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
