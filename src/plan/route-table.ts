import { type RouteEntry, Router } from "itty-router";
import { EXACT_PATHS, matchingPath, type PathMatching } from "../http/matching-path.ts";
import type { Parsing } from "../http/media-type.ts";
import type { Route } from "../model/config.ts";
import { conditionsHold } from "../request/conditions.ts";
import { type FieldRef, readsBody } from "../request/field-ref.ts";
import type { RequestFields } from "../request/request-fields.ts";

export interface RouteCandidate {
  route: Route;
  params: Record<string, string>;
}

/** Whether deciding on this route needs the request body (beyond the fingerprint of a keyed request). */
export function routeReadsBody(route: Route): boolean {
  return (
    route.dedup.length > 0 ||
    (route.batch !== undefined && readsBody(route.batch.field)) ||
    route.when.some((c) => readsBody(c.field)) ||
    route.scope.some(readsBody) ||
    route.key.sources.some(readsBody) ||
    (route.document !== undefined && (readsBody(route.document.id) || route.document.scope.some(readsBody))) ||
    (route.clientField !== undefined && readsBody(route.clientField))
  );
}

/** Whether the request carries this field without its body being read. */
function carries(ref: FieldRef, url: URL, headers: Headers): boolean {
  if (ref.source === "header") return headers.has(ref.name);
  if (ref.source === "query") return url.searchParams.has(ref.name);
  return ref.source === "path";
}

/**
 * Whether the gateway must read the body before choosing among these
 * candidates: a route reads a field from it, queues by document, or the
 * request carries its key outside the body (a header, the query, the path:
 * the fingerprint then covers the body, and the origin gets the bytes read).
 *
 * @example
 * candidatesReadBody(await table.candidates("POST", url), url, request.headers) // true
 */
export function candidatesReadBody(candidates: readonly RouteCandidate[], url: URL, headers: Headers): boolean {
  return candidates.some(
    ({ route }) => routeReadsBody(route) || route.document !== undefined || route.key.sources.some((ref) => carries(ref, url, headers)),
  );
}

/**
 * The ways the candidates read a request (their `parsing`), for parsing a multipart body up front.
 *
 * @example
 * await RequestFields.read(url, headers, bytes, candidateParsings(candidates));
 */
export function candidateParsings(candidates: readonly RouteCandidate[]): Parsing[] {
  return candidates.map(({ route }) => route.parsing);
}

/**
 * The configured routes, matched on method and path with itty-router's
 * patterns (`/orders/:id`, `/api/*`), on the path as `pathMatching` spells
 * it (see matching-path.ts). Conditions on fields are checked later, once the
 * body is read, so this returns every candidate in config order.
 *
 * itty-router compiles the patterns; matching runs here, synchronously,
 * over its compiled list: its own `fetch` parses the URL again, builds a
 * query object and awaits each handler, which cost more than the matching
 * on every request, a pass-through's included.
 *
 * @example
 * const table = new RouteTable(config.routes, config.pathMatching);
 * table.candidates("POST", new URL("https://x/orders/7")) // [{ route, params: { id: "7" } }]
 */
export class RouteTable {
  readonly #compiled: { route: Route; pattern: RegExp }[];
  readonly #pathMatching: PathMatching;

  constructor(routes: readonly Route[], pathMatching: PathMatching = EXACT_PATHS) {
    this.#pathMatching = pathMatching;
    const router = Router();
    for (const route of routes) router.all(route.path, () => undefined);
    // Matched case-insensitively, the path parameters keep the client's spelling (a document ID is case-sensitive).
    const flags = pathMatching.caseInsensitive ? "i" : "";
    this.#compiled = routes.map((route, i) => ({ route, pattern: new RegExp((router.routes[i] as RouteEntry)[1].source, flags) }));
  }

  candidates(method: string, url: URL): RouteCandidate[] {
    const found: RouteCandidate[] = [];
    const path = matchingPath(url.pathname, this.#pathMatching);
    for (const { route, pattern } of this.#compiled) {
      if (!route.methods.includes(method)) continue;
      const match = pattern.exec(path);
      if (match) found.push({ route, params: { ...match.groups } });
    }
    return found;
  }
}

/**
 * Whether a route's conditions hold for a request: its `when` conditions,
 * and for a bulk route, that the request carries the batch field.
 *
 * @throws FieldError when a condition's field cannot be read unambiguously.
 * @example
 * routeConditionsHold(route, fields.forRoute(params, route.parsing)) // true
 */
export function routeConditionsHold(route: Route, fields: RequestFields): boolean {
  if (route.batch && fields.get(route.batch.field) === undefined) return false;
  return conditionsHold(route.when, fields);
}

/**
 * The route a request takes: the first candidate (in config order) whose
 * conditions hold (routeConditionsHold), with the request seen through that route's path
 * parameters. Undefined when none holds: the request passes through.
 *
 * @throws FieldError when a condition's field cannot be read unambiguously.
 * @example
 * const selected = selectRoute(await table.candidates("POST", url), fields);
 * selected?.route.name // "save-sales-document"
 */
export function selectRoute(candidates: readonly RouteCandidate[], fields: RequestFields): { route: Route; fields: RequestFields } | undefined {
  for (const candidate of candidates) {
    const candidateFields = fields.forRoute(candidate.params, candidate.route.parsing);
    if (routeConditionsHold(candidate.route, candidateFields)) return { route: candidate.route, fields: candidateFields };
  }
  return undefined;
}
