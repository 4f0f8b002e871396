/**
 * Idem as a benchmark subject: the wrangler-built bundle on Miniflare
 * (workerd), in its own process so that the load generator does not share
 * an event loop with Miniflare's Node side.
 *
 * Run as a child process:
 * `node bench/idem-worker.ts <bundle> <originUrl> <per-key|sharded> [inspectorPort]`;
 * it prints `{"url": …}` once listening and stops on SIGTERM.
 */
import { existsSync } from "node:fs";
import { startBundledWorker } from "../harness/bundled-worker.ts";

export type KeyspaceStrategy = "per-key" | "sharded";

/**
 * The Idem config every benchmark runs: one create route with all defaults,
 * in the chosen keyspace (sharded is the default; it is spelled out so the
 * bench says what it measures).
 *
 * @example
 * benchConfig("http://127.0.0.1:9000", "sharded")
 */
export function benchConfig(originUrl: string, strategy: KeyspaceStrategy) {
  return { origin: originUrl, keyspace: { strategy }, routes: [{ name: "create-order", path: "/orders" }] };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [bundle, originUrl, strategy, inspectorPort] = process.argv.slice(2);
  if (!bundle || !originUrl || (strategy !== "per-key" && strategy !== "sharded")) {
    throw new Error("usage: node bench/idem-worker.ts <bundle> <originUrl> <per-key|sharded>");
  }
  // Miniflare keeps each Durable Object's SQLite file under the temp dir, and
  // workerd commits it with fsync on the isolate's one thread, so on a disk
  // every write stalls every request. Production storage works nothing like
  // a local disk; tmpfs keeps SQLite's work and drops the local fsync stall.
  if (existsSync("/dev/shm")) process.env.TMPDIR = "/dev/shm";
  const worker = await startBundledWorker({
    bundle,
    config: benchConfig(originUrl, strategy),
    ...(inspectorPort === undefined ? {} : { inspectorPort: Number(inspectorPort) }),
  });
  console.log(JSON.stringify({ url: worker.url.href.replace(/\/$/, "") }));
  process.once("SIGTERM", () => {
    worker.dispose().finally(() => process.exit(0));
  });
}
