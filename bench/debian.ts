/**
 * Tools the benchmark takes from Debian (redis-server, valgrind): found on
 * PATH, or installed with apt-get when running as root.
 */
import { spawnSync } from "node:child_process";

/**
 * Makes sure `command` runs, installing Debian's `pkg` when it is missing.
 *
 * @example
 * ensureDebianTool("redis-server", "redis-server");
 */
export function ensureDebianTool(command: string, pkg: string): void {
  if (spawnSync(command, ["--version"], { encoding: "utf8" }).status === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`${command} is missing; install it (Debian: sudo apt-get install -y ${pkg}) and run the bench again`);
  }
  console.log(`${command} is missing; installing Debian's ${pkg} …`);
  const run = (args: string[]) => spawnSync("apt-get", args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  if (run(["install", "-y", "-q", pkg]).status !== 0) {
    run(["update", "-q"]);
    if (run(["install", "-y", "-q", pkg]).status !== 0) throw new Error(`apt-get install ${pkg} failed`);
  }
}
