import type { Route } from "../config/resolve.ts";
import { endToEndCopy, forwardableRequestHeaders, type HeaderList, type HeaderSink, pushTo } from "../http/headers.ts";
import type { OriginRequest } from "../origin/exchange.ts";
import type { OriginTarget } from "../origin/origins.ts";
import type { StreamedRequest } from "../origin/pass-through.ts";

/** Headers Idem sets on every origin request itself; a client's own are not passed on. */
const SET_BY_IDEM: ReadonlySet<string> = new Set(["x-forwarded-host", "x-forwarded-proto"]);

/** End-to-end headers only, plus X-Forwarded-Host/Proto naming what the client asked for. */
function addOriginHeaders(request: Request, url: URL, add: HeaderSink): void {
  forwardableRequestHeaders(request.headers, add, SET_BY_IDEM);
  add("x-forwarded-host", url.host);
  add("x-forwarded-proto", url.protocol.slice(0, -1));
}

/**
 * The request Idem sends to the origin the plan chose (`chooseOrigin`): the
 * client's method and body, end-to-end headers only, plus
 * X-Forwarded-Host/Proto naming what the client asked for. The origin's
 * credential headers travel as secret names; their values are added only when
 * the request is sent (src/origin/send.ts).
 *
 * @example
 * originRequest(plan.target, request, url, bodyBytes)
 */
export function originRequest(target: OriginTarget, request: Request, url: URL, body: Uint8Array | null): OriginRequest {
  const headers: HeaderList = [];
  addOriginHeaders(request, url, pushTo(headers));
  const hasBody = body !== null && body.byteLength > 0 && request.method !== "GET" && request.method !== "HEAD";
  return { ...target, method: request.method, headers, body: hasBody ? body : null };
}

/**
 * The origin request with the route's `forwardKey` header set to the key or
 * the record ID, so an origin with idempotency of its own can recognise a
 * re-run. A header of that name from the client is dropped: it must not be
 * able to pose as another request. Without a value (`key` on a
 * dedup-covered request, which has none) the header is only dropped.
 *
 * @example
 * withForwardedKey(origin, { header: "idem-record", value: "record" }, { recordId: "5c0e…" })
 * // origin.headers ends with ["idem-record", "5c0e…"]
 */
export function withForwardedKey(
  origin: OriginRequest,
  forwardKey: Route["forwardKey"],
  identity: { key?: string; recordId: string },
): OriginRequest {
  if (!forwardKey) return origin;
  const headers = origin.headers.filter(([name]) => name !== forwardKey.header);
  const value = forwardKey.value === "record" ? identity.recordId : identity.key;
  if (value !== undefined) headers.push([forwardKey.header, value]);
  return { ...origin, headers };
}

/**
 * The request Idem streams to the origin for a request it does not record:
 * the same headers as `originRequest`, copied natively into the Headers that
 * fetch() takes, and the body as the gateway has it (read, or still streaming in).
 *
 * @example
 * passThroughRequest(plan.target, request, url, request.body)
 */
export function passThroughRequest(
  target: OriginTarget,
  request: Request,
  url: URL,
  body: Uint8Array | ReadableStream<Uint8Array> | null,
): StreamedRequest {
  const headers = endToEndCopy(request.headers);
  headers.set("x-forwarded-host", url.host);
  headers.set("x-forwarded-proto", url.protocol.slice(0, -1));
  return { ...target, method: request.method, headers, body };
}
