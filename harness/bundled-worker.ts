/**
 * Runs the real, bundled Idem Worker on Miniflare, from Node: what end-to-end
 * tests and benchmarks drive. The bundle is built by `wrangler deploy
 * --dry-run`, exactly what a deploy would upload, and the bindings come from
 * the same wrangler.toml.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join, parse, resolve } from "node:path";
import { convertV4MiniflareOptions, type Json, kCurrentWorker, Miniflare, type V4WorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const wranglerBin = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");

/**
 * Bundles the Worker as `wrangler deploy` would, and returns the bundle's path.
 *
 * @example
 * const bundle = buildBundle(); // .wrangler/harness/worker.js (named after wrangler.toml's `main`)
 * const readable = buildBundle("wrangler.toml", ".wrangler/profile", ["--minify=false"]); // function names kept, for profiles
 */
export function buildBundle(wranglerConfig = "wrangler.toml", outdir = ".wrangler/harness", extraArgs: readonly string[] = []): string {
  const out = resolve(root, outdir);
  const result = spawnSync(
    process.execPath,
    // `--env=` picks the top level explicitly (wrangler warns otherwise when a config defines environments).
    [wranglerBin, "deploy", "--dry-run", "--env=", "--config", resolve(root, wranglerConfig), "--outdir", out, ...extraArgs],
    { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: "false" }, encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${result.stdout}\n${result.stderr}`);
  // wrangler names the bundle after the entry module: worker.ts → worker.js.
  const { main } = unstable_readConfig({ config: resolve(root, wranglerConfig) }, { hideWarnings: true });
  return join(out, `${parse(main ?? "index").name}.js`);
}

export interface BundledWorker {
  url: URL;
  miniflare: Miniflare;
  /**
   * Kills the runtime's process (workerd, SIGKILL: no drain, no cleanup) and
   * waits until Miniflare has started a new one on the same Durable Object
   * storage. Everything in flight dies with it, as in a crash, a runtime
   * update or a network partition in production. Needs `persistTo`.
   */
  crash(): Promise<void>;
  dispose(): Promise<void>;
}

export interface BundledWorkerOptions {
  bundle: string;
  /** The Idem config to run with as IDEM_CONFIG (replaces wrangler.toml's); omit it for a bundle that carries its config file. */
  config?: Json;
  wranglerConfig?: string;
  /** Extra bindings, e.g. ADMIN_TOKEN. */
  bindings?: Record<string, string>;
  port?: number;
  /** Opens workerd's V8 inspector on this port (for CPU profiles; see bench/profile.ts). */
  inspectorPort?: number;
  /** Other Workers to run beside Idem, e.g. a service-binding origin (`boundWorker("commerce-customers")`). */
  workers?: V4WorkerOptions[];
  /** Keeps Durable Object storage in this directory, so it outlives the runtime's process (see `crash`). */
  persistTo?: string;
  /**
   * wrangler's local dev registry (a directory): service bindings to Workers not run here reach those that
   * other processes run and register there, as under `wrangler dev`; one that none runs answers 503.
   */
  devRegistry?: string;
  /** Drops the Worker's log lines (a soak sends thousands of requests, each logging its decision). */
  quiet?: boolean;
}

/** The IDs of this process's workerd children (Miniflare starts one). */
function workerdProcesses(): number[] {
  let listing: string;
  try {
    listing = execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" });
  } catch {
    return []; // ps exits 1 when there are no children.
  }
  return listing
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([, command]) => command === "workerd")
    .map(([pid]) => Number(pid));
}

/** Kills the workerd process and resolves once Miniflare has replaced it and answers again. */
async function crashRuntime(miniflare: Miniflare): Promise<void> {
  const [pid, ...others] = workerdProcesses();
  if (pid === undefined || others.length > 0) throw new Error(`expected one workerd child process, found ${[pid, ...others].join(", ")}`);
  process.kill(pid, "SIGKILL");
  for (let attempt = 0; attempt < 600; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const running = workerdProcesses();
    if (running.length === 1 && running[0] !== pid) {
      await miniflare.ready;
      return;
    }
  }
  throw new Error("Miniflare did not restart workerd within 30 s");
}

/**
 * The service bindings wrangler derived, with those that name the Worker
 * itself (`service` = its own `name`: the in-Worker mode, docs/in-worker.md)
 * pointed at the current Worker: Miniflare runs it here as "idem", not
 * under its wrangler name. The vitest plugin does the same.
 */
function selfBindingsFollowed(bindings: V4WorkerOptions["serviceBindings"], ownName: string | undefined): V4WorkerOptions["serviceBindings"] {
  if (bindings === undefined || Array.isArray(bindings) || ownName === undefined) return bindings;
  return Object.fromEntries(
    Object.entries(bindings).map(([binding, target]) => [
      binding,
      typeof target === "object" && target !== null && "name" in target && target.name === ownName ? { ...target, name: kCurrentWorker } : target,
    ]),
  );
}

/**
 * Starts the bundle on Miniflare with the bindings of `wranglerConfig`.
 *
 * @example
 * const worker = await startBundledWorker({ bundle, config: { origin, routes } });
 * await fetch(new URL("/orders", worker.url), { method: "POST" });
 */
export async function startBundledWorker(options: BundledWorkerOptions): Promise<BundledWorker> {
  const wranglerConfig = resolve(root, options.wranglerConfig ?? "wrangler.toml");
  const { workerOptions } = unstable_getMiniflareWorkerOptions(wranglerConfig);
  // The bundle is one ES module, so wrangler's rules for locating other modules do not apply; and
  // its absolute path must not be resolved against the config's folder (workerd refuses a path
  // that climbs out of rootPath, as examples/*/wrangler.toml would need).
  const { modulesRules: _rules, rootPath: _root, ...fromWrangler } = workerOptions;
  // wrangler speaks Miniflare 4's option shape; Miniflare 5 converts it.
  const idem = {
    ...fromWrangler,
    name: "idem",
    // Module names are taken relative to this: the bundle lives under the repository, not beside an example's wrangler file.
    rootPath: root,
    modules: true,
    scriptPath: options.bundle,
    serviceBindings: selfBindingsFollowed(
      fromWrangler.serviceBindings as V4WorkerOptions["serviceBindings"],
      unstable_readConfig({ config: wranglerConfig }, { hideWarnings: true }).name,
    ),
    bindings: {
      ...(fromWrangler.bindings as Record<string, Json> | undefined),
      ...options.bindings,
      ...(options.config === undefined ? {} : { IDEM_CONFIG: options.config }),
    },
  };
  const shared = {
    host: "127.0.0.1",
    port: options.port ?? 0,
    ...(options.inspectorPort === undefined ? {} : { inspectorPort: options.inspectorPort }),
    ...(options.persistTo === undefined ? {} : { resourcePersistencePath: options.persistTo }),
    ...(options.devRegistry === undefined ? {} : { unsafeDevRegistryPath: options.devRegistry }),
    ...(options.quiet ? { handleStructuredLogs: () => {} } : {}),
  };
  // The first Worker is the one Miniflare serves on `port`.
  const miniflare = new Miniflare(
    convertV4MiniflareOptions(options.workers === undefined ? { ...idem, ...shared } : { ...shared, workers: [idem, ...options.workers] }),
  );
  const url = await miniflare.ready;
  return {
    url,
    miniflare,
    crash: async () => {
      if (options.persistTo === undefined) throw new Error("crash() needs persistTo: without it the restarted runtime starts empty");
      await crashRuntime(miniflare);
      const restartedAt = await miniflare.ready;
      if (restartedAt.href !== url.href) throw new Error(`the restarted runtime listens on ${restartedAt.href}, not ${url.href}`);
    },
    dispose: () => miniflare.dispose(),
  };
}
