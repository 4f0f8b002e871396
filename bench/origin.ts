/**
 * The origin every benchmark subject fronts: a tiny "create" endpoint that
 * answers `POST /orders` with 201 and a new order after a fixed latency.
 * It counts what it executes, so a run can show how many requests really
 * reached it (fresh keys: all; replays: none; hot key: one).
 *
 * Run as a child process: `node bench/origin.ts <latencyMs>`; it prints
 * `{"url": …}` once listening.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { buffer } from "node:stream/consumers";

/** Path that reports how many creates have executed so far. */
export const EXECUTED_PATH = "/__bench/executed";

/** A create with this header answers with a body of that many bytes (bench:memory's large stored answer). */
export const BYTES_HEADER = "bench-bytes";

/**
 * Starts the bench origin on 127.0.0.1.
 *
 * @example
 * const origin = await startBenchOrigin(20); // every create takes 20 ms
 */
export async function startBenchOrigin(latencyMs: number): Promise<{ url: string; server: Server }> {
  let executed = 0;
  const server = createServer(async (req, res) => {
    const body = await buffer(req);
    if (req.url === EXECUTED_PATH) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ executed }));
      return;
    }
    executed++;
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    const order = { id: `ord_${randomUUID()}`, status: "created", received: body.byteLength, createdAt: new Date().toISOString() };
    const bytes = Number(req.headers[BYTES_HEADER] ?? 0);
    if (bytes > 0) {
      // Random, so that no layer can compress or deduplicate it.
      res.writeHead(201, { "content-type": "application/octet-stream", location: `/orders/${order.id}` });
      res.end(randomBytes(bytes));
      return;
    }
    res.writeHead(201, { "content-type": "application/json", location: `/orders/${order.id}` });
    res.end(JSON.stringify(order));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const origin = await startBenchOrigin(Number(process.argv[2] ?? 0));
  console.log(JSON.stringify({ url: origin.url }));
}
