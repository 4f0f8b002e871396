/**
 * How the Node subjects reach the origin: the peer's forwarding, shared with
 * the bare Node proxy so that the difference between the two is exactly the
 * idempotency library and Redis.
 */
import { Agent, type IncomingHttpHeaders, type IncomingMessage, request, type ServerResponse } from "node:http";
import { buffer } from "node:stream/consumers";

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "proxy-authorization",
  "proxy-authenticate",
  "host",
  "content-length",
]);

export interface OriginAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function endToEnd(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

export interface Forwarder {
  /** Sends the client's request (its body already read) to the origin, and reads the whole answer. */
  forward(req: IncomingMessage, body: Buffer): Promise<OriginAnswer>;
  /** Answers the client with an origin answer, marked as a replay or not. */
  send(res: ServerResponse, answer: OriginAnswer, replayed: boolean): void;
  close(): void;
}

/**
 * A forwarder to `originUrl` over one keep-alive agent (up to 256 sockets).
 *
 * @example
 * const origin = forwarderTo("http://127.0.0.1:9000");
 * origin.send(res, await origin.forward(req, await buffer(req)), false);
 */
export function forwarderTo(originUrl: string): Forwarder {
  const origin = new URL(originUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  return {
    forward(req, body) {
      return new Promise((resolve, reject) => {
        const out = request(
          { host: origin.hostname, port: origin.port, method: req.method, path: req.url, headers: endToEnd(req.headers), agent },
          (res) => {
            buffer(res).then(
              (bytes) => resolve({ status: res.statusCode ?? 502, headers: endToEnd(res.headers), body: bytes.toString("utf8") }),
              reject,
            );
          },
        );
        out.on("error", reject);
        out.end(body);
      });
    },
    send(res, answer, replayed) {
      res.writeHead(answer.status, replayed ? { ...answer.headers, "idempotent-replayed": "true" } : answer.headers);
      res.end(answer.body);
    },
    close: () => agent.destroy(),
  };
}
