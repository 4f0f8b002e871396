import { problemDocsLink } from "../errors/problem-docs.ts";
import { errorResponse } from "../errors/render.ts";
import { toHeaders } from "../http/headers.ts";
import type { Route } from "../model/config.ts";
import { isReplayed } from "../protocol/outcomes.ts";
import type { GatewayResult } from "../protocol/results.ts";

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** Marks an answer that came from storage rather than from the origin (Stripe's header). */
export const REPLAYED_HEADER = "Idempotent-Replayed";
/**
 * Until when the key (or dedup window) is remembered, as an HTTP date like
 * `Expires`. The IETF draft leaves advertising this open (its issue #35 asks
 * for it); Idem sets it whenever a stored record stands behind the answer.
 */
export const EXPIRES_HEADER = "Idempotency-Expires";

/** Where one request's time went. */
export interface DecisionTiming {
  /** From arrival to the response's headers. */
  totalMs: number;
  /** `totalMs` minus the wait for the origin: the time Idem adds. */
  gatewayMs: number;
  /** The wait for the origin's response headers; undefined when the origin was not called. */
  originMs?: number;
}

/**
 * Splits a request's time between Idem and the origin.
 *
 * @example
 * timingOf(startedAt, 25) // { totalMs: 31, gatewayMs: 6, originMs: 25 }
 */
export function timingOf(startedAt: number, originMs: number | undefined, now = Date.now()): DecisionTiming {
  const totalMs = Math.max(0, now - startedAt);
  return { totalMs, gatewayMs: Math.max(0, totalMs - (originMs ?? 0)), originMs };
}

/**
 * The `Server-Timing` value: `idem` is the time spent in the gateway, `origin`
 * the wait for the origin (left out when the origin was not called, as on a
 * replay).
 *
 * @example
 * serverTiming({ totalMs: 31, gatewayMs: 6, originMs: 25 }) // "idem;dur=6, origin;dur=25"
 */
export function serverTiming(timing: DecisionTiming): string {
  const idem = `idem;dur=${timing.gatewayMs}`;
  return timing.originMs === undefined ? idem : `${idem}, origin;dur=${timing.originMs}`;
}

export interface ResponseMeta {
  route?: Route;
  method: string;
  startedAt: number;
  timing: DecisionTiming;
  /** The API call name, for error envelopes that echo it. */
  call?: string;
  /** Where problem documentation lives (`problemDocsLink`). */
  docsBase: string;
}

/**
 * Turns a gateway decision into the client's response: the origin's (or the
 * stored) answer with Idem's headers, or the route's error format.
 *
 * @example
 * toResponse({ type: "response", outcome: "replayed", status: 201, headers, body }, meta)
 * // 201, Idempotent-Replayed: true
 */
export function toResponse(result: GatewayResult, meta: ResponseMeta): Response {
  let response: Response;
  if (result.type === "error") {
    response = errorResponse(
      {
        kind: result.kind,
        detail: result.detail,
        status: result.status,
        retryAfterSeconds: result.retryAfterSeconds,
        members: result.members,
        field: result.field,
        call: meta.call,
        startedAt: meta.startedAt,
      },
      meta.route?.errors,
    );
    // A retry told that the first attempt's outcome is unknown gets what Idem remembered: a replay.
    if (isReplayed(result.outcome)) response.headers.set(REPLAYED_HEADER, "true");
    // Whatever the error format, the answer links the documentation of its problem type.
    response.headers.set("link", problemDocsLink(result.kind, meta.docsBase));
  } else {
    const nullBody = NULL_BODY_STATUSES.has(result.status) || meta.method === "HEAD";
    const headers = result.headers instanceof Headers ? result.headers : toHeaders(result.headers);
    response = new Response(nullBody ? null : result.body, { status: result.status, headers });
    if (isReplayed(result.outcome)) response.headers.set(REPLAYED_HEADER, "true");
  }
  if (result.expiresAt !== undefined) response.headers.set(EXPIRES_HEADER, new Date(result.expiresAt).toUTCString());
  // Appended, so an origin's own Server-Timing metrics reach the client too.
  response.headers.append("Server-Timing", serverTiming(meta.timing));
  return response;
}
