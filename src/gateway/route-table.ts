import { type IRequest, Router } from "itty-router";
import type { Route } from "../config/resolve.ts";
import { readsBody } from "../request/field-ref.ts";

export interface RouteCandidate {
  route: Route;
  params: Record<string, string>;
}

/** Whether deciding on this route needs the request body (beyond the fingerprint of a keyed request). */
export function routeReadsBody(route: Route): boolean {
  return (
    route.dedup.length > 0 ||
    route.when.some((c) => readsBody(c.field)) ||
    route.scope.some(readsBody) ||
    readsBody(route.key.source) ||
    (route.document !== undefined && (readsBody(route.document.id) || route.document.scope.some(readsBody))) ||
    (route.clientField !== undefined && readsBody(route.clientField))
  );
}

/**
 * The configured routes, matched on method and path with itty-router's
 * patterns (`/orders/:id`, `/api/*`). Conditions on fields are checked later,
 * once the body is read, so this returns every candidate in config order.
 *
 * @example
 * const table = new RouteTable(config.routes);
 * await table.candidates("POST", new URL("https://x/orders/7")) // [{ route, params: { id: "7" } }]
 */
export class RouteTable {
  readonly #router = Router<IRequest, [RouteCandidate[]]>();

  constructor(routes: readonly Route[]) {
    for (const route of routes) {
      this.#router.all(route.path, (request, found) => {
        if (route.methods.includes(request.method)) found.push({ route, params: { ...request.params } });
      });
    }
  }

  async candidates(method: string, url: URL): Promise<RouteCandidate[]> {
    const found: RouteCandidate[] = [];
    await this.#router.fetch({ method, url: url.href }, found);
    return found;
  }
}
