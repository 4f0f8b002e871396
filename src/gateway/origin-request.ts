import { forwardableRequestHeaders } from "../http/headers.ts";
import type { OriginRequest } from "../origin/exchange.ts";
import type { OriginTarget } from "../origin/origins.ts";

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
  const headers = forwardableRequestHeaders(request.headers).filter(([name]) => name !== "x-forwarded-host" && name !== "x-forwarded-proto");
  headers.push(["x-forwarded-host", url.host], ["x-forwarded-proto", url.protocol.replace(":", "")]);
  const hasBody = body !== null && body.byteLength > 0 && request.method !== "GET" && request.method !== "HEAD";
  return { ...target, method: request.method, headers, body: hasBody ? body : null };
}
