import { env } from "cloudflare:workers";
import type { ReceivedRequest } from "../../demo/received-request.ts";
import { loadConfig } from "../../src/config/load.ts";
import type { ConfigInput } from "../../src/config/schema.ts";
import type { Env } from "../../src/env.ts";
import { createGateway } from "../../src/gateway/gateway.ts";

/**
 * A gateway inside workerd, on the real KEYS/DOCUMENTS namespaces, in front of the real demo origin.
 * `bindings` replaces some of the Worker's bindings, e.g. `{ ADMIN_TOKEN: "…" }`.
 */
export function gatewayFor(config: Omit<ConfigInput, "origin"> & { origin?: string }, bindings: Partial<Env> = {}) {
  const gateway = createGateway(loadConfig({ origin: env.ORIGIN_URL, ...config }));
  return (request: Request) => gateway.fetch(request, { ...env, ...bindings });
}

/** A label unique to one test, sent as Demo-Tag so the origin's log can be filtered by it. */
export function newTag(): string {
  return crypto.randomUUID();
}

/** The requests the demo origin received with this tag. */
export async function originLog(tag: string): Promise<ReceivedRequest[]> {
  const response = await fetch(`${env.ORIGIN_URL}/__demo/requests?tag=${tag}`);
  return response.json();
}

export interface SendOptions {
  method?: string;
  key?: string;
  auth?: string;
  tag: string;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

/** Builds a client request to the gateway. */
export function clientRequest(path: string, options: SendOptions): Request {
  const headers = new Headers(options.headers);
  headers.set("demo-tag", options.tag);
  if (options.key !== undefined) headers.set("idempotency-key", options.key);
  if (options.auth !== undefined) headers.set("authorization", options.auth);
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

