/**
 * Runs a Worker on workerd itself, the runtime production uses, without
 * Miniflare's entry Worker and proxy in front of it: a generated capnp
 * config (`workerd serve config.capnp`), the module as an `esModule`,
 * SQLite-backed Durable Objects stored on a `disk` service, `json` and
 * `text` bindings, and a network service that may reach 127.0.0.1 (the
 * bench origin).
 *
 * Durable Object storage lives on tmpfs (/dev/shm) when the machine has it:
 * SQLite still does all its work, without a local disk's fsync, which on
 * the isolate's single thread stalls every request and which production
 * storage does not have.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { freePort } from "../harness/free-port.ts";
import { type Service, stopChild, trackChild, treeCpuSeconds } from "./services.ts";

/** The workerd binary of the workerd package (the one wrangler and Miniflare use). */
export const WORKERD_BIN = join(dirname(createRequire(import.meta.url).resolve("workerd/package.json")), "bin", "workerd");

/** The compatibility date of wrangler.toml, so the bundle runs as it is deployed. */
const COMPATIBILITY_DATE = "2026-11-01";

/** A binding of the Worker, in workerd's terms. */
export type Binding =
  | { name: string; json: unknown }
  | { name: string; text: string }
  | { name: string; durableObject: string }
  /** An Analytics Engine dataset whose writes go nowhere (production writes them; the call stays on the path). */
  | { name: string; analytics: true };

export interface WorkerSpec {
  /** The Worker's main module: a file (the bundle) or source text. */
  module: { file: string } | { source: string };
  bindings: Binding[];
  /** SQLite-backed Durable Object classes the module exports. */
  durableObjects?: string[];
}

export interface WorkerdOptions {
  /** Opens V8's inspector on this port (CPU profiles, heap usage). */
  inspectorPort?: number;
  /** Runs workerd through this command (e.g. valgrind) with workerd's path and arguments after it. */
  wrapper?: string[];
}

/** workerd's side of a wrapped binding: an Analytics Engine dataset that drops its data points. */
const NULL_ANALYTICS = `export default function () { return { writeDataPoint() {} }; }`;

const capnpString = (text: string) => JSON.stringify(text);

function bindingCapnp(binding: Binding): string {
  if ("json" in binding) return `(name = ${capnpString(binding.name)}, json = ${capnpString(JSON.stringify(binding.json))})`;
  if ("text" in binding) return `(name = ${capnpString(binding.name)}, text = ${capnpString(binding.text)})`;
  if ("durableObject" in binding) return `(name = ${capnpString(binding.name)}, durableObjectNamespace = ${capnpString(binding.durableObject)})`;
  return `(name = ${capnpString(binding.name)}, wrapped = (moduleName = "bench:null-analytics"))`;
}

/**
 * The capnp config that serves `spec` on `port`, with its module at `moduleFile` and storage in `storageDir`.
 *
 * @example
 * workerdConfig({ module: { source: HELLO_WORLD }, bindings: [] }, 8080, "worker.js", "/dev/shm/x")
 */
export function workerdConfig(spec: WorkerSpec, port: number, moduleFile: string, storageDir: string): string {
  const classes = spec.durableObjects ?? [];
  const usesAnalytics = spec.bindings.some((b) => "analytics" in b);
  const worker = [
    `modules = [(name = "worker.js", esModule = embed ${capnpString(basename(moduleFile))})]`,
    `compatibilityDate = ${capnpString(COMPATIBILITY_DATE)}`,
    `bindings = [${spec.bindings.map(bindingCapnp).join(", ")}]`,
    `globalOutbound = "network"`,
    ...(classes.length > 0
      ? [
          `durableObjectNamespaces = [${classes.map((c) => `(className = ${capnpString(c)}, uniqueKey = ${capnpString(`bench-${c}`)}, enableSql = true)`).join(", ")}]`,
          `durableObjectStorage = (localDisk = "storage")`,
        ]
      : []),
  ];
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = (${worker.join(",\n      ")})),
    (name = "network", network = (allow = ["public", "local"])),
    (name = "storage", disk = (path = ${capnpString(storageDir)}, writable = true)),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
  ${usesAnalytics ? `extensions = [(modules = [(name = "bench:null-analytics", esModule = ${capnpString(NULL_ANALYTICS)}, internal = true)])],` : ""}
);
`;
}

/** Work directories of running workerd processes, removed when this process exits however it exits. */
const workDirs = new Set<string>();
process.once("exit", () => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  for (let attempt = 0; attempt < 1_200; attempt++) {
    if (child.exitCode !== null) throw new Error(`workerd exited (${child.exitCode}) before listening:\n${stderr()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`workerd did not listen on ${port}:\n${stderr()}`);
}

/**
 * Serves one Worker on workerd in its own process, on a free port of 127.0.0.1.
 * Its console output is discarded (Idem's decision log would flood the terminal); stderr is kept for errors.
 *
 * @example
 * const hello = await startWorkerd({ module: { source: HELLO_WORLD }, bindings: [] });
 * await fetch(hello.url); await hello.stop();
 */
export async function startWorkerd(spec: WorkerSpec, options: WorkerdOptions = {}): Promise<Service> {
  const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  const work = mkdtempSync(join(base, "idem-workerd-"));
  workDirs.add(work);
  const storage = join(work, "storage");
  mkdirSync(storage);
  const moduleFile = join(work, "worker.js");
  if ("file" in spec.module) copyFileSync(spec.module.file, moduleFile);
  else writeFileSync(moduleFile, spec.module.source);
  const port = await freePort();
  const configFile = join(work, "config.capnp");
  writeFileSync(configFile, workerdConfig(spec, port, moduleFile, storage));
  const args = ["serve", configFile, ...(options.inspectorPort === undefined ? [] : [`--inspector-addr=127.0.0.1:${options.inspectorPort}`])];
  const [command, ...commandArgs] = options.wrapper ? [...options.wrapper, WORKERD_BIN, ...args] : [WORKERD_BIN, ...args];
  const child = trackChild(spawn(command as string, commandArgs, { stdio: ["ignore", "ignore", "pipe"] }));
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  try {
    await waitForPort(port, child, () => stderr);
  } catch (error) {
    child.kill("SIGKILL");
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
  const pid = child.pid ?? 0;
  return {
    url: `http://127.0.0.1:${port}`,
    pid,
    cpuSeconds: () => treeCpuSeconds(pid),
    stop: async () => {
      await stopChild(child);
      rmSync(work, { recursive: true, force: true });
      workDirs.delete(work);
    },
  };
}
