import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import { type DemoServer, type DemoServerOptions, header, logEntry, startDemoServer } from "./demo-server.ts";
import type { ReceivedRequest } from "./received-request.ts";
import { type DemoBody, type ReadBody, readDemoBody } from "./request-body.ts";

export type { ReceivedRequest };

/**
 * The demo origin: a small orders API with no idempotency of its own, so
 * that what Idem adds is visible. `POST /orders` creates an order with a
 * fresh ID every time it executes.
 *
 * Every request can be made slow or made to fail with headers:
 *
 * | header              | effect                                                       |
 * |---------------------|--------------------------------------------------------------|
 * | `Demo-Delay: 2000`  | wait 2000 ms before answering                                |
 * | `Demo-Status: 503`  | answer with this status (any of 100-999, e.g. 999); the request still executes |
 * | `Demo-Hang: 1`      | never answer                                                 |
 * | `Demo-Break: 1`     | send the headers and half the body, then cut the connection |
 * | `Demo-Reset: 1`     | read the request, execute it, then reset the connection without answering |
 * | `Demo-Edge-Status: 521` | answer as Cloudflare's edge would for a failed origin: 521, 522, 523, 525, 526 without the request reaching the origin (not logged, not executed); 520 and 524 after executing it |
 * | `Demo-Edge-Status: 530` | answer as Cloudflare does to a Worker's subrequest it could not send: 530, `error code: 1016` (or `Demo-Edge-Code`), not executed |
 * | `Demo-Bytes: 5000`  | answer with a body of this many bytes                        |
 * | `Demo-Cookie: a=b`  | add `Set-Cookie: a=b`                                        |
 * | `Demo-Gzip: 1`      | send the body gzip-compressed (`Content-Encoding: gzip`)     |
 * | `Demo-Server-Timing: db;dur=7` | add this `Server-Timing` (the origin's own timings) |
 * | `Demo-Tag: t1`      | label the request in the log (tests use one tag each)        |
 *
 * `TRACE` (any path) and `/reflect` (any method) answer with the request's
 * headers, as Apache's default TRACE and a debug endpoint would.
 *
 * `GET /__demo/requests?tag=t1` lists the requests received (with their start
 * and end times), so anyone can count how often the origin really executed.
 */

/**
 * Cloudflare's 52x statuses for an origin behind it that failed, and whether
 * the origin got the request first (docs/faults.md, "How an exchange ends").
 */
const EDGE_STATUSES: ReadonlyMap<number, { reached: boolean; title: string }> = new Map([
  [520, { reached: true, title: "Web server is returning an unknown error" }],
  [521, { reached: false, title: "Web server is down" }],
  [522, { reached: false, title: "Connection timed out" }],
  [523, { reached: false, title: "Origin is unreachable" }],
  [524, { reached: true, title: "A timeout occurred" }],
  [525, { reached: false, title: "SSL handshake failed" }],
  [526, { reached: false, title: "Invalid SSL certificate" }],
  [530, { reached: false, title: "Origin DNS error" }],
]);

/**
 * Answers as Cloudflare's edge does in front of a failed origin: its status, an HTML page, `Server: cloudflare`;
 * a 530 as a Worker's subrequest gets it, with its 1xxx code as plain text.
 */
function sendEdgeError(req: IncomingMessage, res: ServerResponse, status: number, title: string): void {
  const headers = { server: "cloudflare", "cf-ray": `${randomUUID().slice(0, 16)}-AMS` };
  if (status === 530) {
    res.writeHead(status, { ...headers, "content-type": "text/plain; charset=UTF-8" });
    res.end(`error code: ${header(req, "demo-edge-code") ?? "1016"}`);
    return;
  }
  res.writeHead(status, { ...headers, "content-type": "text/html; charset=UTF-8" });
  res.end(`<!DOCTYPE html><title>${status}: ${title}</title><h1>Error ${status}</h1>`);
}

export interface DemoOrigin extends DemoServer {
  received: ReceivedRequest[];
}

interface Order {
  id: string;
  [field: string]: unknown;
}

/** An order's fields from a JSON object or a form; any other JSON value is kept as `value`. */
function fieldsOf(body: DemoBody): Record<string, unknown> {
  if (body.kind === "form") return Object.fromEntries(body.fields);
  if (body.kind !== "json") return {};
  const value = body.value;
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
}

/** Answers one request of the orders API, or echoes any other path. */
function answer(orders: Map<string, Order>, req: IncomingMessage, url: URL, read: ReadBody, seq: number): { status: number; body: unknown } {
  // As Apache httpd answers TRACE by default (TraceEnable On), and as any debug endpoint that echoes a request does:
  // the request's headers come back to whoever sent it.
  if (req.method === "TRACE" || url.pathname === "/reflect") return { status: 200, body: { method: req.method, headers: req.headers } };
  const match = /^\/orders\/([^/]+)$/.exec(url.pathname);
  if (url.pathname === "/orders" && req.method === "POST") {
    const order: Order = { ...fieldsOf(read.body), id: `ord_${randomUUID()}`, createdAt: new Date().toISOString() };
    orders.set(order.id, order);
    return { status: 201, body: order };
  }
  if (match && req.method === "GET") {
    const order = orders.get(decodeURIComponent(match[1] as string));
    return order ? { status: 200, body: order } : { status: 404, body: { error: "no such order" } };
  }
  if (match && req.method === "PATCH") {
    const id = decodeURIComponent(match[1] as string);
    const order = orders.get(id) ?? { id };
    const updated: Order = { ...order, ...fieldsOf(read.body), id, updatedAt: new Date().toISOString(), revision: seq };
    orders.set(id, updated);
    return { status: 200, body: updated };
  }
  if (match && req.method === "DELETE") {
    orders.delete(decodeURIComponent(match[1] as string));
    return { status: 204, body: null };
  }
  return { status: 200, body: { executed: seq, method: req.method, path: url.pathname, query: url.search, received: read.text } };
}

function sendControlled(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  const bytes = header(req, "demo-bytes");
  const text = bytes !== undefined ? "x".repeat(Number(bytes)) : body === null ? "" : JSON.stringify(body);
  const cookie = header(req, "demo-cookie");
  const headers: Record<string, string> = { "content-type": bytes !== undefined ? "text/plain" : "application/json" };
  if (cookie) headers["set-cookie"] = cookie;
  const timing = header(req, "demo-server-timing");
  if (timing) headers["server-timing"] = timing;
  if (header(req, "demo-break")) {
    // Promise a full body, deliver half, then cut the connection.
    res.writeHead(status, { ...headers, "content-length": String(text.length + 100) });
    res.write(text.slice(0, Math.ceil(text.length / 2)));
    setTimeout(() => res.destroy(), 20);
    return;
  }
  if (status === 204 || status === 304) {
    res.writeHead(status, headers);
    res.end();
  } else if (header(req, "demo-gzip")) {
    res.writeHead(status, { ...headers, "content-encoding": "gzip" });
    res.end(gzipSync(text));
  } else {
    res.writeHead(status, headers);
    res.end(text);
  }
}

/**
 * Starts the demo origin.
 *
 * @example
 * const origin = await startOrdersOrigin({ port: 8788 });
 * console.log(origin.url); // http://127.0.0.1:8788
 */
export async function startOrdersOrigin(options: DemoServerOptions = {}): Promise<DemoOrigin> {
  const orders = new Map<string, Order>();
  const received: ReceivedRequest[] = [];
  const demo = await startDemoServer(
    received,
    async (req, res, url) => {
      const read = await readDemoBody(req);
      const edgeStatus = Number(header(req, "demo-edge-status"));
      const edge = EDGE_STATUSES.get(edgeStatus);
      if (edge && !edge.reached) {
        sendEdgeError(req, res, edgeStatus, edge.title);
        return;
      }
      const entry = logEntry(received, req, url, read.text);
      received.push(entry);
      res.on("close", () => {
        entry.endedAt = Date.now();
      });
      if (header(req, "demo-hang")) return;
      const delay = Number(header(req, "demo-delay") ?? 0);
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      const result = answer(orders, req, url, read, entry.seq);
      if (header(req, "demo-reset")) {
        // Executed, then the connection is reset (TCP RST) before a byte of the answer is sent.
        req.socket.resetAndDestroy();
        return;
      }
      if (edge) {
        sendEdgeError(req, res, edgeStatus, edge.title);
        return;
      }
      const forced = header(req, "demo-status");
      sendControlled(req, res, forced ? Number(forced) : result.status, result.body);
    },
    options,
  );
  return { ...demo, received };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env.DEMO_ORIGIN_PORT ?? 8788);
  const origin = await startOrdersOrigin({ port });
  console.log(`Demo origin listening on ${origin.url} (try: curl -X POST ${origin.url}/orders)`);
}
