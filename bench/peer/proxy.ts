/**
 * The peer: what a team would build instead of Idem. A plain node:http
 * reverse proxy with @node-idempotency/core (claims each key with Redis
 * `SET NX`, waits for an in-flight first request by polling, fingerprints the
 * JSON body) on Redis, in front of the same origin as Idem.
 *
 * Made as comparable to Idem as the library allows: the key comes from the
 * same `Idempotency-Key` header, the origin's status, end-to-end headers and
 * body are stored before the client is answered, a replay carries
 * `Idempotent-Replayed: true`, and a request that finds its key in flight
 * waits for the first one (up to 5 s, like Idem's default). Where it still
 * differs is written down in docs/benchmarks.md.
 *
 * Run as a child process: `node bench/peer/proxy.ts <originUrl> <redisUrl>`;
 * it prints `{"url": …}` once listening.
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { buffer } from "node:stream/consumers";
import { Idempotency, IdempotencyError, IdempotencyErrorCodes } from "@node-idempotency/core";
import { RedisStorageAdapter } from "@node-idempotency/storage-adapter-redis";
import { errorMessage } from "../../src/util/error-message.ts";
import { forwarderTo, type OriginAnswer } from "./forward.ts";

/** Parses a JSON body the way express.json() would, for the library's fingerprint. */
function jsonBody(bytes: Buffer): Record<string, unknown> | undefined {
  if (bytes.byteLength === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(bytes.toString("utf8"));
    return parsed !== null && typeof parsed === "object" ? (parsed as Record<string, unknown>) : { value: parsed };
  } catch {
    return { raw: bytes.toString("base64") };
  }
}

function isOriginAnswer(value: unknown): value is OriginAnswer {
  return typeof value === "object" && value !== null && "status" in value && "body" in value;
}

const ERROR_STATUS: Record<IdempotencyErrorCodes, number> = {
  [IdempotencyErrorCodes.REQUEST_IN_PROGRESS]: 409,
  [IdempotencyErrorCodes.IDEMPOTENCY_FINGERPRINT_MISSMATCH]: 422,
  [IdempotencyErrorCodes.IDEMPOTENCY_KEY_LEN_EXEEDED]: 400,
  [IdempotencyErrorCodes.IDEMPOTENCY_KEY_MISSING]: 400,
};

/**
 * Starts the peer proxy on 127.0.0.1.
 *
 * @example
 * const peer = await startPeer("http://127.0.0.1:9000", "redis://127.0.0.1:6390");
 */
export async function startPeer(originUrl: string, redisUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const storage = new RedisStorageAdapter({ url: redisUrl });
  await storage.connect();
  const idempotency = new Idempotency(storage, {
    cacheTTLMS: 86_400_000,
    inProgressStrategy: { wait: true, pollingIntervalMs: 10, maxWaitMs: 5_000 },
  });
  const { forward, send, close } = forwarderTo(originUrl);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await buffer(req);
    if (req.headers["idempotency-key"] === undefined) {
      send(res, await forward(req, body), false);
      return;
    }
    const params = { headers: req.headers, path: req.url ?? "/", method: req.method ?? "POST", body: jsonBody(body) };
    try {
      const cached = await idempotency.onRequest(params);
      if (cached && isOriginAnswer(cached.additional)) {
        send(res, cached.additional, true);
        return;
      }
    } catch (error) {
      if (!(error instanceof IdempotencyError)) throw error;
      res.writeHead(ERROR_STATUS[error.code], { "content-type": "application/json" });
      res.end(JSON.stringify({ error: error.code, message: error.message }));
      return;
    }
    const answer = await forward(req, body);
    await idempotency.onResponse(params, { additional: { ...answer } });
    send(res, answer, false);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "peer-failure", message: errorMessage(error) }));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      close();
      await storage.disconnect();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [originUrl, redisUrl] = process.argv.slice(2);
  if (!originUrl || !redisUrl) throw new Error("usage: node bench/peer/proxy.ts <originUrl> <redisUrl>");
  const peer = await startPeer(originUrl, redisUrl);
  console.log(JSON.stringify({ url: peer.url }));
}
