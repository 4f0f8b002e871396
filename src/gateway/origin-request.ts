import type { IdemConfig, Route } from "../config/resolve.ts";
import { forwardableRequestHeaders } from "../http/headers.ts";
import type { OriginRequest } from "../origin/exchange.ts";

/** The origin URL for a client URL: the origin's base, then the client's path and query as sent. */
export function originUrl(config: IdemConfig, url: URL): string {
  return `${config.origin}${url.pathname}${url.search}`;
}

/**
 * The request Idem sends to the origin: same method, path, query and body,
 * end-to-end headers only, plus X-Forwarded-Host/Proto naming what the
 * client asked for.
 *
 * @example
 * originRequest(config, request, url, bodyBytes)
 */
export function originRequest(config: IdemConfig, request: Request, url: URL, body: Uint8Array | null): OriginRequest {
  const headers = forwardableRequestHeaders(request.headers).filter(([name]) => name !== "x-forwarded-host" && name !== "x-forwarded-proto");
  headers.push(["x-forwarded-host", url.host], ["x-forwarded-proto", url.protocol.replace(":", "")]);
  const hasBody = body !== null && body.byteLength > 0 && request.method !== "GET" && request.method !== "HEAD";
  return { url: originUrl(config, url), method: request.method, headers, body: hasBody ? body : null };
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
