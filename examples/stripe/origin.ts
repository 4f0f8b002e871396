import { randomUUID } from "node:crypto";
import { type DemoServer, type DemoServerOptions, header, logEntry, startDemoServer } from "../../demo/demo-server.ts";
import type { ReceivedRequest } from "../../demo/received-request.ts";
import { type DemoBody, readDemoBody } from "../../demo/request-body.ts";

/**
 * A Stripe-like API with no idempotency of its own, so that what Idem adds
 * is visible. It reads requests the way Stripe does:
 *
 * | request                  | body                                          | answer                                   |
 * |--------------------------|-----------------------------------------------|------------------------------------------|
 * | `POST /v1/<resource>…`   | form-encoded (`application/x-www-form-urlencoded`), as Stripe's v1 API takes | a new object with a new `id` on every execution |
 * | `POST /v2/<resource>…`   | JSON, as Stripe's v2 API takes                | a new object with a new `id` on every execution |
 * | `DELETE /v2/<resource>/<id>` | none                                      | `{ "id", "deleted": true }`              |
 * | `GET` or `DELETE /v1/…`  | none                                          | `{ "id", "object" }`                     |
 * | a body of the other kind | —                                             | 400 `invalid_request_error`              |
 *
 * Every object records the account it was made for (`Stripe-Context`, else
 * `Stripe-Account`, else null), so tests can see whose request ran.
 *
 * | header              | effect                                                 |
 * |---------------------|--------------------------------------------------------|
 * | `Demo-Delay: 800`   | wait 800 ms before answering                           |
 * | `Demo-Status: 500`  | answer with this status; the request still executes    |
 * | `Demo-Tag: t1`      | label the request in the log (tests use one tag each)  |
 *
 * `GET /__demo/requests?tag=t1` lists the requests received.
 */

export interface StripeOrigin extends DemoServer {
  received: ReceivedRequest[];
}

function error(message: string): { status: number; body: unknown } {
  return { status: 400, body: { error: { type: "invalid_request_error", message } } };
}

/** The fields of a v1 form or a v2 JSON object; undefined when the body is not of the kind the version takes. */
function fieldsFor(version: string, body: DemoBody): Record<string, unknown> | undefined {
  if (body.kind === "none") return {};
  if (version === "v1") return body.kind === "form" && body.files.length === 0 ? Object.fromEntries(body.fields) : undefined;
  if (body.kind !== "json" || body.value === null || typeof body.value !== "object" || Array.isArray(body.value)) return undefined;
  return body.value as Record<string, unknown>;
}

function answer(method: string, url: URL, body: DemoBody, account: string | null): { status: number; body: unknown } {
  const [, version = "", resource = "", id] = url.pathname.split("/");
  if (version !== "v1" && version !== "v2")
    return { status: 404, body: { error: { type: "invalid_request_error", message: "Unrecognized request URL" } } };
  if (method === "GET") return { status: 200, body: { id: id ?? null, object: resource } };
  if (method === "DELETE") return { status: 200, body: { id: id ?? null, object: resource, deleted: true } };
  const fields = fieldsFor(version, body);
  if (!fields) return error(version === "v1" ? "v1 requests take form-encoded bodies" : "v2 requests take JSON bodies");
  const prefix = resource.replace(/s$/, "").slice(0, 4);
  return { status: 200, body: { ...fields, id: id ?? `${prefix}_${randomUUID().replaceAll("-", "")}`, object: resource, account } };
}

/**
 * Starts the Stripe-like origin.
 *
 * @example
 * const origin = await startStripeOrigin();
 * await fetch(`${origin.url}/v1/customers`, { method: "POST", body: new URLSearchParams({ email: "a@b.c" }) });
 */
export async function startStripeOrigin(options: DemoServerOptions = {}): Promise<StripeOrigin> {
  const received: ReceivedRequest[] = [];
  const demo = await startDemoServer(
    received,
    async (req, res, url) => {
      const read = await readDemoBody(req);
      const entry = logEntry(received, req, url, read.text);
      received.push(entry);
      const delay = Number(header(req, "demo-delay") ?? 0);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      const account = header(req, "stripe-context") ?? header(req, "stripe-account") ?? null;
      const result = answer(req.method ?? "GET", url, read.body, account);
      const forced = header(req, "demo-status");
      entry.endedAt = Date.now();
      res.writeHead(forced ? Number(forced) : result.status, { "content-type": "application/json", "request-id": `req_${randomUUID()}` });
      res.end(JSON.stringify(result.body));
    },
    options,
  );
  return { ...demo, received };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const origin = await startStripeOrigin({ port: Number(process.env.DEMO_ORIGIN_PORT ?? 8788) });
  console.log(`Stripe-like origin listening on ${origin.url} (try: curl ${origin.url}/v1/customers -d email=a@example.com)`);
}
