import { originReadsBody } from "../config/origins.ts";
import type { IdemConfig, Route } from "../model/config.ts";
import { type OriginRefusal, type OriginTarget, originTarget } from "../origin/origins.ts";
import type { RequestFields } from "../request/request-fields.ts";
import type { RouteCandidate } from "./route-table.ts";

/**
 * Where a request goes, and with which credentials: the one place that
 * decides it. A request its route takes goes to the route's origin
 * (`origin = "payments"`, else the top-level one), with the origin's
 * credential headers; a request no route takes goes to the top-level origin
 * with only those marked `passThrough`. A template origin is filled from the
 * request's fields and must land on a host the config allows; otherwise the
 * request is refused, never sent.
 *
 * @throws FieldError when a field that picks the origin is ambiguous (sent twice with different values).
 * @example
 * const target = chooseOrigin(config, route, fields, url);
 * if ("refused" in target) return refuse("origin-not-allowed", target.detail);
 * target.url // "https://payments.internal.example.com/payments?x=1"
 */
export function chooseOrigin(config: IdemConfig, route: Route | undefined, fields: RequestFields, url: URL): OriginTarget | OriginRefusal {
  const target = originTarget(route?.origin ?? config.origin, fields, url);
  if (route || "refused" in target) return target;
  return { ...target, credentials: target.credentials.filter((credential) => credential.passThrough) };
}

/**
 * Whether choosing the origin of one of these requests needs its body: a
 * template origin that reads `{param:…}` or `{body:…}`, for any candidate
 * route or for the top-level origin (which takes what no route does).
 *
 * @example
 * if (originNeedsBody(config, candidates)) body = await request.readBody(limit);
 */
export function originNeedsBody(config: IdemConfig, candidates: readonly RouteCandidate[]): boolean {
  return originReadsBody(config.origin) || candidates.some(({ route }) => originReadsBody(route.origin));
}
