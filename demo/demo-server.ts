/**
 * What the demo origins (demo/orders-origin.ts, examples/erply/origin.ts)
 * share: the request log at `GET /__demo/requests?tag=…`, reading a
 * request's headers, and starting and stopping the server (bodies: request-body.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ReceivedRequest } from "./received-request.ts";

export interface DemoServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
  /**
   * Stops listening (and drops every open connection, so none is reused)
   * while `during` runs, then listens on the same port again: the origin
   * refuses connections meanwhile, as one that is down does.
   */
  refusingConnections<T>(during: () => Promise<T>): Promise<T>;
}

export interface DemoServerOptions {
  /** Default: a free port. */
  port?: number;
  /** Default: 127.0.0.1. */
  host?: string;
}

/** Answers one request that is not for the log. */
export type DemoHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

/**
 * A request header's value (the first, if it was sent more than once).
 *
 * @example
 * const delay = Number(header(req, "demo-delay") ?? 0);
 */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The log entry of a request that has just arrived, numbered after the
 * entries already in `log`, labelled with its `Demo-Tag`. The origin adds it
 * to the log and sets `endedAt` when it has answered.
 *
 * @example
 * const entry = logEntry(received, req, url, (await readDemoBody(req)).text);
 * received.push(entry);
 */
export function logEntry(log: readonly ReceivedRequest[], req: IncomingMessage, url: URL, body: string, startedAt = Date.now()): ReceivedRequest {
  return {
    seq: log.length + 1,
    tag: header(req, "demo-tag") ?? null,
    method: req.method ?? "GET",
    path: `${url.pathname}${url.search}`,
    body,
    headers: req.headers,
    startedAt,
  };
}

/**
 * Starts a demo origin: `GET /__demo/requests` lists `log` (with `?tag=t1`,
 * only the requests so labelled), and `handle` answers every other request.
 *
 * @example
 * const received: ReceivedRequest[] = [];
 * const demo = await startDemoServer(received, (req, res) => res.end("ok"), { port: 8788 });
 * console.log(demo.url); // http://127.0.0.1:8788
 */
export async function startDemoServer(log: readonly ReceivedRequest[], handle: DemoHandler, options: DemoServerOptions = {}): Promise<DemoServer> {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://origin");
    if (url.pathname === "/__demo/requests") {
      const tag = url.searchParams.get("tag");
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(log.filter((r) => tag === null || r.tag === tag)));
      return;
    }
    await handle(req, res, url);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, options.host ?? "127.0.0.1", resolve);
    });
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  await listen(options.port ?? 0);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    close,
    async refusingConnections(during) {
      await close();
      try {
        return await during();
      } finally {
        await listen(port);
      }
    },
  };
}
