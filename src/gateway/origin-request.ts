import type { IdemConfig } from "../config/resolve.ts";
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
