import { DEFAULT_ERROR_PROFILE } from "../config/resolve.ts";
import type { ErrorProfile } from "../model/config.ts";
import type { ErrorKind } from "../model/enumerations.ts";
import { ADMIN_ERROR_CATALOG, type AdminErrorKind, ERROR_CATALOG } from "./catalog.ts";
import { problemType } from "./problem-docs.ts";

/**
 * Headers every error answer carries, whatever its format: never cached, and
 * never sniffed as another media type (a detail may echo request text).
 */
const ERROR_HEADERS = { "cache-control": "no-store", "x-content-type-options": "nosniff" } as const;

/** What a gateway decision knows about an error when it answers with it. */
export interface ErrorContext {
  kind: ErrorKind;
  /** Human-readable explanation of this occurrence. */
  detail: string;
  /** This occurrence's status, when it is not the kind's (a route's override still wins). */
  status?: number;
  retryAfterSeconds?: number;
  /** The API call name, for envelopes that echo it (Erply's `request`). */
  call?: string;
  /** When the request arrived (ms since epoch), for envelopes with timings. */
  startedAt?: number;
  /** Extra problem members, e.g. `originalStatus`. */
  members?: Record<string, unknown>;
  /** The request field the error is about; the `erply` envelope names it in `errorField`. */
  field?: string;
}

function fillTemplate(node: unknown, values: Record<string, string | number>): unknown {
  if (typeof node === "string") {
    const whole = /^\{\{(\w+)\}\}$/.exec(node);
    if (whole && whole[1] !== undefined && whole[1] in values) return values[whole[1]];
    return node.replace(/\{\{(\w+)\}\}/g, (m, name: string) => (name in values ? String(values[name]) : m));
  }
  if (Array.isArray(node)) return node.map((n) => fillTemplate(n, values));
  if (node !== null && typeof node === "object") {
    return Object.fromEntries(Object.entries(node).map(([k, n]) => [k, fillTemplate(n, values)]));
  }
  return node;
}

/**
 * Builds the error response a route's error profile asks for.
 *
 * - `problem` (default): RFC 9457 `application/problem+json` with the kind's HTTP status.
 * - `erply`: HTTP 200 (or `status`) with Erply's `{status:{…errorCode…},records:null}` envelope
 *   (`errorField` names the parameter when the error is about one, as Erply does).
 * - `json`: the route's own JSON `template`, with `{{kind}}`, `{{status}}`, `{{code}}`,
 *   `{{message}}`, `{{call}}` and `{{now}}` filled in.
 *
 * @example
 * errorResponse({ kind: "fingerprint-mismatch", detail: "The body differs from the first request." })
 * // 422 {"type":"urn:idem:problem:fingerprint-mismatch","title":"…","status":422,"detail":"…"}
 */
export function errorResponse(context: ErrorContext, profile: ErrorProfile = DEFAULT_ERROR_PROFILE): Response {
  const info = ERROR_CATALOG[context.kind];
  const override = profile.kinds[context.kind] ?? {};
  const httpStatus = override.status ?? context.status ?? info.status;
  const message = override.message ?? info.title;
  const headers = new Headers({ ...ERROR_HEADERS, ...info.headers });
  if (context.retryAfterSeconds !== undefined) headers.set("retry-after", String(context.retryAfterSeconds));

  if (profile.format === "problem") {
    headers.set("content-type", "application/problem+json");
    const body = {
      type: problemType(context.kind),
      title: message,
      status: httpStatus,
      detail: context.detail,
      ...(override.code === undefined ? {} : { code: override.code }),
      ...context.members,
    };
    return new Response(JSON.stringify(body), { status: httpStatus, headers });
  }

  const nowSeconds = Math.floor(Date.now() / 1000);
  const code = override.code ?? (profile.format === "erply" ? (info.erplyCode ?? httpStatus) : httpStatus);
  headers.set("content-type", "application/json");
  const status = profile.status ?? (profile.format === "erply" ? 200 : httpStatus);
  if (profile.format === "erply") {
    const started = context.startedAt ?? Date.now();
    const body = {
      status: {
        request: context.call ?? "",
        requestUnixTime: Math.floor(started / 1000),
        responseStatus: "error",
        errorCode: code,
        ...(context.field === undefined ? {} : { errorField: context.field }),
        generationTime: (Date.now() - started) / 1000,
        recordsTotal: 0,
        recordsInResponse: 0,
      },
      records: null,
    };
    return new Response(JSON.stringify(body), { status, headers });
  }
  const values = { kind: context.kind, status: httpStatus, code, message, call: context.call ?? "", now: nowSeconds };
  return new Response(JSON.stringify(fillTemplate(profile.template, values)), { status, headers });
}

/**
 * An RFC 9457 problem for the admin API.
 *
 * @example
 * adminProblem("admin-record-not-found", "no record 5c0e… in this keyspace")
 * // 404 {"type":"urn:idem:problem:admin-record-not-found","title":"No such record","status":404,"detail":"…"}
 */
export function adminProblem(kind: AdminErrorKind, detail: string, members: Record<string, unknown> = {}, headers: HeadersInit = {}): Response {
  const { status, title } = ADMIN_ERROR_CATALOG[kind];
  const body = { type: problemType(kind), title, status, detail, ...members };
  const responseHeaders = new Headers(headers);
  responseHeaders.set("content-type", "application/problem+json");
  for (const [name, value] of Object.entries(ERROR_HEADERS)) responseHeaders.set(name, value);
  return new Response(JSON.stringify(body), { status, headers: responseHeaders });
}
