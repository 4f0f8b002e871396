/**
 * Redis for the peer: Debian's redis-server, installed when missing (as
 * root), started on a free 127.0.0.1 port with no persistence, stopped at
 * the end of the run.
 */

import { freePort } from "../harness/free-port.ts";
import { ensureDebianTool } from "./debian.ts";
import { type Service, startProgram } from "./services.ts";

/**
 * Starts a throwaway Redis: no RDB snapshots, no AOF, loopback only.
 *
 * @example
 * const redis = await startRedis(); // redis.url = "redis://127.0.0.1:41234"
 * await redis.stop();
 */
export async function startRedis(): Promise<Service> {
  ensureDebianTool("redis-server", "redis-server");
  const port = await freePort();
  return startProgram(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
    /Ready to accept connections/,
    `redis://127.0.0.1:${port}`,
  );
}
