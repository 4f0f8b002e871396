import type { IdemConfig, Route } from "../config/resolve.ts";
import { forwardableRequestHeaders } from "../http/headers.ts";
import type { OriginRequest } from "../origin/exchange.ts";
import { type Origin, type OriginRefusal, originReadsBody, originTarget } from "../origin/origins.ts";
import type { RequestFields } from "../request/request-fields.ts";

/**
 * The origin a request goes to: its route's, or the top-level `origin` for a
 * request no route takes. This and `originRequest` are the one place that
 * decides where a request goes.
 *
 * @example
 * originOf(config, route).name // "payments"
 */
export function originOf(config: IdemConfig, route: Route | undefined): Origin {
  return route?.origin ?? config.origin;
}

/**
 * Whether the origin of a request no route takes is chosen from its body
 * (a template origin with `{param:…}`), so the body must be read first.
 *
 * @example
 * if (unroutedOriginReadsBody(config)) fields = await readFields(request);
 */
export function unroutedOriginReadsBody(config: IdemConfig): boolean {
  return originReadsBody(config.origin);
}

/**
 * The request Idem sends to the origin: to the route's origin (or the
 * top-level one), with the client's method, path, query and body, end-to-end
 * headers only, plus X-Forwarded-Host/Proto naming what the client asked for.
 * The origin's credential headers travel as secret names; their values are
 * added only when the request is sent (src/origin/send.ts). A template origin
 * that the request's fields do not fill with an allowed host is refused.
 *
 * @throws FieldError when a field that picks the origin is ambiguous.
 * @example
 * const origin = originRequest(config, route, request, url, fields, bodyBytes);
 * if ("refused" in origin) return invalid("origin-not-allowed", origin.detail);
 */
export function originRequest(
  config: IdemConfig,
  route: Route | undefined,
  request: Request,
  url: URL,
  fields: RequestFields,
  body: Uint8Array | null,
): OriginRequest | OriginRefusal {
  const target = originTarget(originOf(config, route), fields, url);
  if ("refused" in target) return target;
  const headers = forwardableRequestHeaders(request.headers).filter(([name]) => name !== "x-forwarded-host" && name !== "x-forwarded-proto");
  headers.push(["x-forwarded-host", url.host], ["x-forwarded-proto", url.protocol.replace(":", "")]);
  const hasBody = body !== null && body.byteLength > 0 && request.method !== "GET" && request.method !== "HEAD";
  return { ...target, method: request.method, headers, body: hasBody ? body : null };
}
