/**
 * Redis for the peer: Debian's redis-server, installed when missing (as
 * root), started on a free 127.0.0.1 port with no persistence, stopped at
 * the end of the run.
 */
import { spawnSync } from "node:child_process";
import { freePort, type Service, startProgram } from "./services.ts";

function hasRedisServer(): boolean {
  return spawnSync("redis-server", ["--version"], { encoding: "utf8" }).status === 0;
}

function installRedisServer(): void {
  if (process.getuid?.() !== 0) {
    throw new Error("redis-server is missing; install it (Debian: sudo apt-get install -y redis-server) and run the bench again");
  }
  console.log("redis-server is missing; installing Debian's redis-server …");
  const run = (args: string[]) => spawnSync("apt-get", args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  if (run(["install", "-y", "-q", "redis-server"]).status !== 0) {
    run(["update", "-q"]);
    if (run(["install", "-y", "-q", "redis-server"]).status !== 0) throw new Error("apt-get install redis-server failed");
  }
}

/**
 * Starts a throwaway Redis: no RDB snapshots, no AOF, loopback only.
 *
 * @example
 * const redis = await startRedis(); // redis.url = "redis://127.0.0.1:41234"
 * await redis.stop();
 */
export async function startRedis(): Promise<Service> {
  if (!hasRedisServer()) installRedisServer();
  const port = await freePort();
  return startProgram(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
    /Ready to accept connections/,
    `redis://127.0.0.1:${port}`,
  );
}
