/**
 * Child processes for the benchmark: each subject (origin, Idem, peer,
 * Redis) runs in its own process, started and stopped by the bench script.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";

export interface Service {
  url: string;
  pid: number;
  /** CPU seconds (user + system) used so far by the service's process and its children, e.g. workerd. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/**
 * The process IDs of `pid`'s children (Linux /proc).
 *
 * @example
 * childPids(process.pid) // [4242, 4243]
 */
export function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").split(" ").filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/**
 * CPU seconds of a process tree, from /proc (Linux). A process that already exited counts 0.
 *
 * @example
 * treeCpuSeconds(idem.pid) // 12.4: the Node process and its workerd
 */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    ticks = Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
  return ticks / CLOCK_TICKS + childPids(pid).reduce((sum, child) => sum + treeCpuSeconds(child), 0);
}

/** Children still running when this process exits (a failed run, Ctrl-C) are killed with it. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGTERM");
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));

/**
 * Kills `child` with this process, should it exit first (a failed run, Ctrl-C).
 *
 * @example
 * const child = trackChild(spawn("workerd", ["serve", "config.capnp"]));
 */
export function trackChild(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

/**
 * Stops `child` with SIGTERM, or SIGKILL when it has not exited after 5 s.
 *
 * @example
 * await stopChild(child);
 */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** A started child as a Service; spawn() gives a pid to every child it started. */
function serviceOf(child: ChildProcess, url: string): Service {
  const pid = child.pid ?? 0;
  return { url, pid, cpuSeconds: () => treeCpuSeconds(pid), stop: () => stopChild(child) };
}

/**
 * Runs a Node script that prints a `{"url": …}` line on stdout once it
 * listens. Other output is discarded (Idem's decision log would
 * otherwise flood the terminal); stderr is kept for errors.
 *
 * @example
 * const origin = await startNodeService("bench/origin.ts", ["20"]);
 */
export function startNodeService(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Service> {
  const child = trackChild(spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"], env }));
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  return new Promise((resolve, reject) => {
    // Spawned with stdio "pipe", so stdout exists; the type cannot know that.
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const onExit = (code: number | null) => reject(new Error(`${script} exited (${code}) before listening:\n${stderr}`));
    child.once("exit", onExit);
    const onLine = (line: string) => {
      if (!line.startsWith('{"url":')) return;
      lines.off("line", onLine);
      child.off("exit", onExit);
      lines.close();
      child.stdout?.resume();
      const { url } = JSON.parse(line) as { url: string };
      resolve(serviceOf(child, url));
    };
    lines.on("line", onLine);
  });
}

/**
 * Runs any program as a service that is ready when `ready` appears in its output.
 *
 * @example
 * const redis = await startProgram("redis-server", ["--port", "6390"], /Ready to accept/, "redis://127.0.0.1:6390");
 */
export function startProgram(command: string, args: string[], ready: RegExp, url: string): Promise<Service> {
  const child = trackChild(spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] }));
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4_000);
      if (!ready.test(output)) return;
      child.stdout?.off("data", onData);
      child.stdout?.resume();
      child.off("exit", onExit);
      resolve(serviceOf(child, url));
    };
    const onExit = (code: number | null) => reject(new Error(`${command} exited (${code}) before it was ready:\n${output}`));
    child.once("exit", onExit);
    child.once("error", reject);
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
  });
}
