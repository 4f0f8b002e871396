import { env } from "cloudflare:workers";
import type { ReceivedRequest } from "../../demo/received-request.ts";
import { loadConfig } from "../../src/config/load.ts";
import type { ConfigInput } from "../../src/config/schema.ts";
import type { Env } from "../../src/env.ts";
import { handlerFor } from "../../src/worker/handler.ts";
import { TEST_CALLER } from "./caller.ts";
import type { ErplyTarget } from "./erply-client.ts";
import { originLogAt, originReceivedAt } from "./origin-log.ts";
import type { StripeTarget } from "./stripe-proofs.ts";

export { TEST_CALLER } from "./caller.ts";
export { newTag } from "./origin-log.ts";

/**
 * A gateway inside workerd, on the real KEYS/DOCUMENTS namespaces, in front of the real demo origin.
 * `bindings` replaces some of the Worker's bindings, e.g. `{ ADMIN_TOKEN: "…" }`.
 */
export function gatewayFor(config: Omit<ConfigInput, "origin"> & { origin?: ConfigInput["origin"] }, bindings: Partial<Env> = {}) {
  const gateway = handlerFor(loadConfig({ origin: env.ORIGIN_URL, ...config }));
  return (request: Request) => gateway.fetch(request, { ...env, ...bindings });
}

/**
 * Idem inside workerd with examples/erply/wrangler.toml's config as shipped
 * (only the origin's port differs), in front of the Erply-like origin.
 *
 * @example
 * const erply = erplyGateway();
 * erplyProofs(() => erply);
 */
export function erplyGateway(): ErplyTarget {
  const gateway = handlerFor(loadConfig({ ...env.ERPLY_IDEM_CONFIG, origin: env.ERPLY_ORIGIN_URL }));
  return { send: (request) => gateway.fetch(request, env), base: "https://idem.test", originUrl: env.ERPLY_ORIGIN_URL };
}

/**
 * Idem inside workerd with examples/stripe/wrangler.toml's config as shipped
 * (only the origin differs), in front of the Stripe-like origin.
 *
 * @example
 * stripeProofs(() => stripeGateway());
 */
export function stripeGateway(): StripeTarget {
  const gateway = handlerFor(loadConfig({ ...env.EXAMPLE_IDEM_CONFIGS.stripe, origin: env.STRIPE_ORIGIN_URL }));
  return { send: (request) => gateway.fetch(request, env), base: "https://idem.test", originUrl: env.STRIPE_ORIGIN_URL };
}

/**
 * The requests the demo origin received with this tag.
 *
 * @example
 * expect(await originLog(tag)).toHaveLength(1);
 */
export function originLog(tag: string): Promise<ReceivedRequest[]> {
  return originLogAt(env.ORIGIN_URL, tag);
}

/**
 * Waits until the demo origin has received `count` requests with this tag, and returns them.
 *
 * @example
 * const slow = send(clientRequest("/orders", { tag, key, headers: { "demo-delay": "500" } }));
 * await originReceived(tag, 1); // the first is now in flight
 */
export function originReceived(tag: string, count: number): Promise<ReceivedRequest[]> {
  return originReceivedAt(env.ORIGIN_URL, tag, count);
}

export interface SendOptions {
  method?: string;
  key?: string;
  /** The Authorization header; default TEST_CALLER; null sends none (a caller Idem cannot identify). */
  auth?: string | null;
  tag: string;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

/** Builds a client request to the gateway, from TEST_CALLER unless `auth` says otherwise. */
export function clientRequest(path: string, options: SendOptions): Request {
  const headers = new Headers(options.headers);
  headers.set("demo-tag", options.tag);
  if (options.key !== undefined) headers.set("idempotency-key", options.key);
  const auth = options.auth === undefined ? (headers.get("authorization") ?? TEST_CALLER) : options.auth;
  if (auth === null) headers.delete("authorization");
  else headers.set("authorization", auth);
  let body: string | undefined;
  if (options.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(options.json);
  } else if (options.form !== undefined) {
    headers.set("content-type", "application/x-www-form-urlencoded");
    body = new URLSearchParams(options.form).toString();
  }
  return new Request(`https://idem.test${path}`, { method: options.method ?? "POST", headers, body });
}
