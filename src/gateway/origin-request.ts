import { endToEndCopy, forwardableRequestHeaders, type HeaderList, type HeaderSink, pushTo } from "../http/headers.ts";
import type { IdemConfig, Route } from "../model/config.ts";
import type { OriginRequest } from "../origin/exchange.ts";
import type { OriginTarget } from "../origin/origins.ts";
import type { StreamedRequest } from "../origin/pass-through.ts";

const FORWARDED: readonly string[] = ["x-forwarded-host", "x-forwarded-proto"];
const setByIdemOf = new WeakMap<IdemConfig, ReadonlySet<string>>();

/**
 * Headers only Idem sets on origin requests: X-Forwarded-Host/Proto, and
 * every route's `forwardKey` header. A client's own are dropped from every
 * request, recorded or not (pass-through, GETs, bulk calls): an origin that
 * trusts the forwardKey header must never see one Idem did not write, or a
 * request without a key could pose as another's re-run.
 */
function setByIdem(config: IdemConfig): ReadonlySet<string> {
  let names = setByIdemOf.get(config);
  if (!names) {
    names = new Set([...FORWARDED, ...config.routes.flatMap((route) => (route.forwardKey ? [route.forwardKey.header] : []))]);
    setByIdemOf.set(config, names);
  }
  return names;
}

/** End-to-end headers only, without those Idem sets, plus X-Forwarded-Host/Proto naming what the client asked for. */
function addOriginHeaders(config: IdemConfig, request: Request, url: URL, add: HeaderSink): void {
  forwardableRequestHeaders(request.headers, add, setByIdem(config));
  add("x-forwarded-host", url.host);
  add("x-forwarded-proto", url.protocol.slice(0, -1));
}

/**
 * The request Idem sends to the origin the plan chose (`chooseOrigin`): the
 * client's method and body, end-to-end headers only (none Idem sets itself),
 * plus X-Forwarded-Host/Proto naming what the client asked for. The origin's
 * credential headers travel as secret names; their values are added only when
 * the request is sent (src/origin/send.ts).
 *
 * @example
 * originRequest(config, plan.target, request, url, bodyBytes)
 */
export function originRequest(config: IdemConfig, target: OriginTarget, request: Request, url: URL, body: Uint8Array | null): OriginRequest {
  const headers: HeaderList = [];
  addOriginHeaders(config, request, url, pushTo(headers));
  const hasBody = body !== null && body.byteLength > 0 && request.method !== "GET" && request.method !== "HEAD";
  return { ...target, method: request.method, headers, body: hasBody ? body : null };
}

/**
 * The origin request with the route's `forwardKey` header set to the key or
 * the record ID, so an origin with idempotency of its own can recognise a
 * re-run. The client's header of that name was already dropped
 * (`originRequest`). Without a value (`key` on a dedup-covered request,
 * which has none) nothing is added.
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
  const value = forwardKey && (forwardKey.value === "record" ? identity.recordId : identity.key);
  if (!forwardKey || value === undefined) return origin;
  return { ...origin, headers: [...origin.headers, [forwardKey.header, value]] };
}

/**
 * The request Idem streams to the origin for a request it does not record:
 * the same headers as `originRequest`, copied natively into the Headers that
 * fetch() takes, and the body as the gateway has it (read, or still streaming in).
 *
 * @example
 * passThroughRequest(config, plan.target, request, url, request.body)
 */
export function passThroughRequest(
  config: IdemConfig,
  target: OriginTarget,
  request: Request,
  url: URL,
  body: Uint8Array | ReadableStream<Uint8Array> | null,
): StreamedRequest {
  const headers = endToEndCopy(request.headers);
  for (const name of setByIdem(config)) headers.delete(name);
  headers.set("x-forwarded-host", url.host);
  headers.set("x-forwarded-proto", url.protocol.slice(0, -1));
  return { ...target, method: request.method, headers, body };
}
