import { randomUUID } from "node:crypto";
import { type DemoServer, type DemoServerOptions, header, logEntry, startDemoServer } from "../../demo/demo-server.ts";
import type { ReceivedRequest } from "../../demo/received-request.ts";
import { type DemoBody, readDemoBody } from "../../demo/request-body.ts";

/**
 * A Print.one-like orders API with no idempotency of its own, so that what
 * Idem adds is visible. It reads requests the way Print.one's API does:
 * JSON bodies only, and an order is created (and would be printed and
 * posted) on every execution.
 *
 * | request                             | answer                                                         |
 * |-------------------------------------|----------------------------------------------------------------|
 * | `POST /v2/orders`                   | 201, a new order with a new `id`, `status: "order_created"`    |
 * | `POST /v2/batches/:batchId/orders`  | 201, a new order in that batch, with a new `id`                |
 * | `GET /v2/orders/:id`                | 200 the order, or 404                                          |
 * | a POST whose body is not a JSON object | 400 `{ statusCode, message, error }`                         |
 * | anything else                       | 404                                                            |
 *
 * Print.one's own `Idempotency-Key` (documented for POST and PATCH, up to 255
 * characters, the first answer kept for 24 h) is what Idem gives this API:
 * examples/printone/README.md compares the two.
 *
 * | header              | effect                                                 |
 * |---------------------|--------------------------------------------------------|
 * | `Demo-Delay: 800`   | wait 800 ms before answering                           |
 * | `Demo-Status: 500`  | answer with this status; the request still executes    |
 * | `Demo-Tag: t1`      | label the request in the log (tests use one tag each)  |
 *
 * `GET /__demo/requests?tag=t1` lists the requests received.
 */

export interface PrintoneOrigin extends DemoServer {
  received: ReceivedRequest[];
}

interface Answer {
  status: number;
  body: unknown;
}

const badRequest = (message: string): Answer => ({ status: 400, body: { statusCode: 400, message, error: "Bad Request" } });
const notFound: Answer = { status: 404, body: { statusCode: 404, message: "Not Found", error: "Not Found" } };

function objectOf(body: DemoBody): Record<string, unknown> | undefined {
  if (body.kind !== "json" || body.value === null || typeof body.value !== "object" || Array.isArray(body.value)) return undefined;
  return body.value as Record<string, unknown>;
}

function answer(orders: Map<string, unknown>, method: string, url: URL, body: DemoBody): Answer {
  const batch = /^\/v2\/batches\/([^/]+)\/orders$/.exec(url.pathname);
  const one = /^\/v2\/orders\/([^/]+)$/.exec(url.pathname);
  if (method === "GET" && one) return orders.has(one[1] as string) ? { status: 200, body: orders.get(one[1] as string) } : notFound;
  if (method !== "POST" || (url.pathname !== "/v2/orders" && !batch)) return notFound;
  const fields = objectOf(body);
  if (!fields) return badRequest("The request body must be a JSON object (Content-Type: application/json)");
  const id = `ord_${randomUUID().replaceAll("-", "")}`;
  const order = {
    ...fields,
    id,
    ...(batch ? { batchId: decodeURIComponent(batch[1] as string) } : {}),
    status: "order_created",
    createdAt: new Date().toISOString(),
  };
  orders.set(id, order);
  return { status: 201, body: order };
}

/**
 * Starts the Print.one-like origin.
 *
 * @example
 * const origin = await startPrintoneOrigin({ port: 8788 });
 * await fetch(`${origin.url}/v2/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"customerId":"cus_1"}' });
 */
export async function startPrintoneOrigin(options: DemoServerOptions = {}): Promise<PrintoneOrigin> {
  const received: ReceivedRequest[] = [];
  const orders = new Map<string, unknown>();
  const demo = await startDemoServer(
    received,
    async (req, res, url) => {
      const read = await readDemoBody(req);
      const entry = logEntry(received, req, url, read.text);
      received.push(entry);
      const delay = Number(header(req, "demo-delay") ?? 0);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      const result = answer(orders, req.method ?? "GET", url, read.body);
      const forced = header(req, "demo-status");
      entry.endedAt = Date.now();
      res.writeHead(forced ? Number(forced) : result.status, { "content-type": "application/json" });
      res.end(JSON.stringify(result.body));
    },
    options,
  );
  return { ...demo, received };
}
