/** What sending needs to know of a request's target: chosen by `originTarget`, carried to wherever the fetch runs. */
export interface SendTarget {
  url: string;
  binding?: string;
  credentials?: CredentialHeader[];
}

/** A Worker's bindings, as far as sending reads them: service bindings and secrets, by name. */
export type SendBindings = object;

function bindingOf(bindings: SendBindings, name: string): unknown {
  return (bindings as Record<string, unknown>)[name];
}

/** What a service binding offers that sending uses. */
interface BoundWorker {
  fetch(url: string, init: RequestInit): Promise<Response>;
}

function isFetcher(value: unknown): value is BoundWorker {
  return typeof value === "object" && value !== null && "fetch" in value && typeof value.fetch === "function";
}

/**
 * Sends a request to its origin: over the network, or through the service
 * binding the target names. The origin's credential headers get their values
 * from the Worker's secrets here, at the last moment, so no message, record or
 * log line that carries the request ever holds them; they replace any header
 * of that name the client sent.
 *
 * @throws Error when the target's binding or a credential's secret is missing
 *   (start-up checks them, see `missingBindings`); the caller reports it as an
 *   unreachable origin.
 * @example
 * const response = await sendToOrigin(env, { url, binding: "CUSTOMERS", credentials }, { method: "POST", headers, body });
 */
export function sendToOrigin(bindings: SendBindings, target: SendTarget, init: RequestInit & { headers: Headers }): Promise<Response> {
  for (const { header, secret } of target.credentials ?? []) {
    const value = bindingOf(bindings, secret);
    if (typeof value !== "string" || value === "") throw new Error(`the origin's credential secret ${secret} is not set`);
    init.headers.set(header, value);
  }
  if (target.binding === undefined) return fetch(target.url, init);
  const fetcher = bindingOf(bindings, target.binding);
  if (!isFetcher(fetcher)) throw new Error(`the service binding ${target.binding} is not bound`);
  return fetcher.fetch(target.url, init);
}

/**
 * The bindings a config's origins need that the Worker lacks: a service
 * binding that is not a Worker, a credential secret that is unset. Checked at
 * start-up, so a missing secret stops the Worker instead of sending requests
 * without it.
 *
 * @example
 * missingBindings(env, { origin: config.origin, origins: config.origins })
 * // ['origins.payments.headers.x-origin-auth: the secret PAY_AUTH is not set (wrangler secret put PAY_AUTH; locally, .dev.vars)']
 */
export function missingBindings(bindings: SendBindings, config: { origin: Origin; origins: Record<string, Origin> }): string[] {
  const problems: string[] = [];
  const all: [string, Origin][] = [
    ["origin", config.origin],
    ...Object.entries(config.origins).map(([name, o]): [string, Origin] => [`origins.${name}`, o]),
  ];
  for (const [at, origin] of all) {
    if (origin.kind === "service" && !isFetcher(bindingOf(bindings, origin.binding))) {
      problems.push(
        `${at}.service: this Worker has no service binding ${origin.binding} (add [[services]] binding = "${origin.binding}" to wrangler.toml)`,
      );
    }
    for (const { header, secret } of origin.credentials) {
      const value = bindingOf(bindings, secret);
      if (typeof value !== "string" || value === "") {
        problems.push(`${at}.headers.${header}: the secret ${secret} is not set (wrangler secret put ${secret}; locally, .dev.vars)`);
      }
    }
  }
  return problems;
}

import type { CredentialHeader, Origin } from "../model/config.ts";
