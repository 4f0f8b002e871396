import type { Route } from "../config/resolve.ts";
import { errorResponse } from "../errors/render.ts";
import type { GatewayResult, Outcome } from "../objects/protocol.ts";

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);
const REPLAYED: ReadonlySet<Outcome> = new Set(["replayed", "waited-then-replayed", "deduplicated"]);

/** Marks an answer that came from storage rather than from the origin (Stripe's header). */
export const REPLAYED_HEADER = "Idempotent-Replayed";
/** Until when the key (or document) is remembered, as an HTTP date. */
export const EXPIRES_HEADER = "Idempotency-Expires";

export interface ResponseMeta {
  route?: Route;
  method: string;
  startedAt: number;
  /** The API call name, for error envelopes that echo it. */
  call?: string;
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
        retryAfterSeconds: result.retryAfterSeconds,
        members: result.members,
        field: result.field,
        call: meta.call,
        startedAt: meta.startedAt,
      },
      meta.route?.errors,
    );
  } else {
    const nullBody = NULL_BODY_STATUSES.has(result.status) || meta.method === "HEAD";
    response = new Response(nullBody ? null : result.body, { status: result.status, headers: result.headers });
    if (REPLAYED.has(result.outcome)) response.headers.set(REPLAYED_HEADER, "true");
  }
  if (result.expiresAt !== undefined) response.headers.set(EXPIRES_HEADER, new Date(result.expiresAt).toUTCString());
  const totalMs = Date.now() - meta.startedAt;
  const originMs = result.originMs ?? 0;
  response.headers.append("Server-Timing", `idem;dur=${Math.max(0, totalMs - originMs)}, origin;dur=${originMs}`);
  return response;
}
