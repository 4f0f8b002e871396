/**
 * One Worker that is both Idem and the API behind it (docs/in-worker.md).
 *
 * Clients reach the default export, Idem's gateway. A keyed `POST /orders`
 * goes to the record's Durable Object, which calls the API through the
 * ORDERS_API service binding: a binding to this same Worker's `OrdersApi`
 * entrypoint (wrangler.toml). The object, not the client's request, owns
 * that call, so a client that disconnects does not cut it short, and an
 * answer that is lost is remembered as an unknown outcome, never run again.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { withDemoAids } from "./demo-aids.ts";
import { ordersApi } from "./orders-api.ts";

// Idem: the gateway, and the Durable Object classes its bindings name.
export { DocumentObject, default, KeyObject } from "idem-gateway/worker";

/**
 * The API's handlers, as the entrypoint Idem's service binding names. Not
 * reachable from the internet: only through a binding.
 *
 * @example
 * // wrangler.toml
 * // [[services]]
 * // binding = "ORDERS_API"
 * // service = "idem-in-worker"   # this Worker's own name
 * // entrypoint = "OrdersApi"
 */
export class OrdersApi extends WorkerEntrypoint {
  override fetch(request: Request): Promise<Response> {
    return withDemoAids(request, () => ordersApi.fetch(request));
  }
}
