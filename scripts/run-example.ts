/**
 * Runs one example locally, the way `npm start` and `npm run example` do:
 * its demo origins, `wrangler dev` with any bound Workers beside it, secrets
 * and an admin token generated for this run only, and Durable Object state in
 * a fresh folder (or a kept one). Waits until the gateway answers.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import { unstable_readConfig } from "wrangler";
import { freePort } from "../harness/free-port.ts";
import { CONFIG_FILE_SPECIFIER, loadConfigFrom } from "../src/config/sources.ts";
import type { IdemConfig } from "../src/model/config.ts";
import type { LocalOrigin } from "./example-declaration.ts";
import type { DeclaredExample } from "./examples.ts";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const wranglerBin = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");

export interface RunOptions {
  /** Keep Durable Object state in this folder across runs (`npm start -- --persist`: `.wrangler/persist/<name>`); otherwise a fresh folder, deleted on stop. */
  persistTo?: string;
  /** The gateway's port (default 8787). */
  port?: number;
  /** Start every server on a free port instead of the ports README uses (tests). */
  freePorts?: boolean;
  /** `inherit`: wrangler talks to the terminal; `pipe`: its output is kept for `output()` (tests). */
  stdio?: "inherit" | "pipe";
}

export interface RunningExample {
  url: string;
  /** The servers started for the config's origins, by where the config names them. */
  origins: Record<string, string>;
  /** The bound Workers, by service name, with their entry files (relative to the repository). */
  boundWorkers: Record<string, string>;
  admin: { base: string; token: string };
  /** The secrets the config reads, each set to a value generated for this run. */
  secrets: string[];
  state: { dir: string; persistent: boolean };
  config: IdemConfig;
  /** What wrangler printed, when its output is piped. */
  output(): string;
  /** Settles when wrangler exits, whether stopped or on its own. */
  exited: Promise<void>;
  stop(): Promise<void>;
}

const secretValue = () => randomBytes(32).toString("hex");

/** Fails when something already listens on `port`: wrangler would quietly pick another, and a caller would reach the wrong server. */
async function ensurePortFree(port: number, what: string): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolvePort, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === "EADDRINUSE" ? `port ${port} (${what}) is taken: stop what uses it (another npm start?) and try again` : error.message,
        ),
      ),
    );
    server.listen(port, "127.0.0.1", () => server.close(() => resolvePort()));
  });
}

/** Replaces the URL of the origin the config names at `where` (`origin`, `origins.payments`). */
function withOrigin(config: Record<string, unknown>, where: string, url: string): Record<string, unknown> {
  const set = (value: unknown): unknown => {
    if (typeof value === "string") return url;
    if (value !== null && typeof value === "object" && "url" in value) return { ...value, url };
    throw new Error(`${where}: not a URL origin, so a local server cannot stand in for it`);
  };
  if (where === "origin") return { ...config, origin: set(config.origin) };
  const name = /^origins\.(.+)$/.exec(where)?.[1];
  const origins = config.origins as Record<string, unknown> | undefined;
  if (name === undefined || origins?.[name] === undefined) throw new Error(`${where}: the config names no such origin`);
  return { ...config, origins: { ...origins, [name]: set(origins[name]) } };
}

/**
 * The wrangler config this run starts, the Idem config it gives the Worker
 * (origins replaced), and the wrangler arguments that do so.
 */
function localConfig(
  wranglerConfig: string,
  origins: Record<string, string>,
  runDir: string,
): { wranglerConfig: string; config: IdemConfig; args: string[] } {
  const wrangler = unstable_readConfig({ config: wranglerConfig }, { hideWarnings: true });
  const environment = typeof wrangler.vars.IDEM_ENV === "string" ? wrangler.vars.IDEM_ENV : undefined;
  const aliased = wrangler.alias?.[CONFIG_FILE_SPECIFIER];
  if (aliased !== undefined) {
    const path = resolve(dirname(wranglerConfig), aliased);
    const fileLabel = relative(root, path);
    if (Object.keys(origins).length === 0) {
      return { wranglerConfig, config: loadConfigFrom({ file: readFileSync(path, "utf8"), fileLabel, variable: undefined, environment }), args: [] };
    }
    let table = parseToml(readFileSync(path, "utf8")) as Record<string, unknown>;
    for (const [where, url] of Object.entries(origins)) table = withOrigin(table, where, url);
    const file = stringifyToml(table);
    const local = join(runDir, "idem.config.toml");
    writeFileSync(local, file);
    // `wrangler dev --alias` is accepted but not applied (wrangler 4.164), so the run gets a copy of the
    // wrangler config whose alias names the local file, its own paths made absolute.
    const folder = dirname(wranglerConfig);
    const copy = parseToml(readFileSync(wranglerConfig, "utf8")) as Record<string, unknown>;
    const main = typeof copy.main === "string" ? resolve(folder, copy.main) : copy.main;
    const build = copy.build as { watch_dir?: string } | undefined;
    const localWrangler = join(runDir, "wrangler.toml");
    writeFileSync(
      localWrangler,
      stringifyToml({
        ...copy,
        main,
        alias: { ...(copy.alias as object), [CONFIG_FILE_SPECIFIER]: local },
        ...(build && { build: { ...build, cwd: folder, ...(build.watch_dir && { watch_dir: resolve(folder, build.watch_dir) }) } }),
      }),
    );
    return { wranglerConfig: localWrangler, config: loadConfigFrom({ file, fileLabel, variable: undefined, environment }), args: [] };
  }
  const raw = wrangler.vars.IDEM_CONFIG;
  let variable = typeof raw === "string" ? (JSON.parse(raw) as Record<string, unknown>) : (raw as Record<string, unknown>);
  for (const [where, url] of Object.entries(origins)) variable = withOrigin(variable, where, url);
  const json = JSON.stringify(variable);
  return { wranglerConfig, config: loadConfigFrom({ file: "", variable: json, environment }), args: ["--var", `IDEM_CONFIG:${json}`] };
}

/** A wrangler config for a bound Worker, written for this run: the service name its binding asks for, and its entry file. */
function boundWorkerConfig(runDir: string, service: string, entry: string, compatibilityDate: string): string {
  const path = join(runDir, `${service}.wrangler.toml`);
  writeFileSync(path, stringifyToml({ name: service, main: entry, compatibility_date: compatibilityDate }));
  return path;
}

/** Resolves once the admin health endpoint answers 200 with the token; rejects if wrangler exits first. */
async function untilReady(healthUrl: string, token: string, child: ChildProcess, output: () => string): Promise<void> {
  let exited: number | null | undefined;
  child.once("exit", (code) => {
    exited = code;
  });
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`wrangler dev exited (code ${exited}) before the gateway answered\n${output()}`);
    const status = await fetch(healthUrl, { headers: { authorization: `Bearer ${token}` } }).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((wake) => setTimeout(wake, 200));
  }
  throw new Error(`the gateway did not answer ${healthUrl} within 120 s\n${output()}`);
}

async function startOrigins(example: DeclaredExample, freePorts: boolean, started: LocalOrigin[]): Promise<Record<string, string>> {
  const urls: Record<string, string> = {};
  for (const [where, origin] of Object.entries(example.origins ?? {})) {
    const port = freePorts ? await freePort() : origin.port;
    const server = await origin.start(port).catch((error: NodeJS.ErrnoException) => {
      throw new Error(
        error.code === "EADDRINUSE"
          ? `port ${port} (the demo origin for ${where}) is taken: stop what uses it (another npm start?) and try again`
          : error.message,
      );
    });
    started.push(server);
    urls[where] = server.url;
  }
  return urls;
}

/**
 * Starts an example and resolves once its gateway answers.
 *
 * @example
 * const running = await runExample((await loadExample("stripe"))!, { freePorts: true, stdio: "pipe" });
 * await fetch(new URL("/v2/customers", running.url), { method: "POST" });
 * await running.stop();
 */
export async function runExample(example: DeclaredExample, options: RunOptions = {}): Promise<RunningExample> {
  const freePorts = options.freePorts ?? false;
  const port = options.port ?? (freePorts ? await freePort() : 8787);
  await ensurePortFree(port, "the gateway");
  const runDir = mkdtempSync(join(tmpdir(), `idem-${example.name}-run-`));
  const persistent = options.persistTo !== undefined;
  const stateDir = options.persistTo === undefined ? join(runDir, "state") : resolve(root, options.persistTo);
  mkdirSync(stateDir, { recursive: true });
  const servers: LocalOrigin[] = [];
  let child: ChildProcess | undefined;
  const cleanUp = async () => {
    await Promise.all(servers.map((server) => server.close()));
    rmSync(runDir, { recursive: true, force: true });
  };
  try {
    const origins = await startOrigins(example, freePorts, servers);
    const declaredConfig = resolve(example.folder, example.wranglerConfig);
    const { wranglerConfig, config, args: configArgs } = localConfig(declaredConfig, origins, runDir);
    const token = secretValue();
    const secrets = [...new Set([config.origin, ...Object.values(config.origins)].flatMap((origin) => origin.credentials.map((c) => c.secret)))];
    const compatibilityDate = unstable_readConfig({ config: declaredConfig }, { hideWarnings: true }).compatibility_date ?? "2026-11-01";
    const boundWorkers = Object.fromEntries(
      Object.entries(example.boundWorkers ?? {}).map(([service, entry]) => [service, relative(root, resolve(example.folder, entry))]),
    );
    const boundConfigs = Object.entries(boundWorkers).flatMap(([service, entry]) => [
      "--config",
      boundWorkerConfig(runDir, service, resolve(root, entry), compatibilityDate),
    ]);
    const args = [
      wranglerBin,
      "dev",
      "--config",
      wranglerConfig,
      ...boundConfigs,
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--persist-to",
      stateDir,
      ...configArgs,
      "--var",
      `ADMIN_TOKEN:${token}`,
      ...secrets.flatMap((secret) => ["--var", `${secret}:${secretValue()}`]),
      ...(freePorts ? ["--inspector-port", String(await freePort()), "--show-interactive-dev-session=false"] : []),
    ];
    let output = "";
    child = spawn(process.execPath, args, {
      cwd: root,
      stdio: options.stdio === "pipe" ? ["ignore", "pipe", "pipe"] : "inherit",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    const url = `http://127.0.0.1:${port}`;
    const adminBase = `${url}${config.admin.pathPrefix}`;
    await untilReady(`${adminBase}/health`, token, child, () => output);
    const running = child;
    const exited = new Promise<void>((done) => running.once("exit", () => done()));
    let stopping: Promise<void> | undefined;
    return {
      url,
      origins,
      boundWorkers,
      admin: { base: adminBase, token },
      secrets,
      state: { dir: stateDir, persistent },
      config,
      output: () => output,
      exited,
      stop: () => {
        stopping ??= (async () => {
          if (running.exitCode === null && running.signalCode === null) {
            running.kill("SIGTERM");
            await exited;
          }
          await cleanUp();
        })();
        return stopping;
      },
    };
  } catch (error) {
    child?.kill("SIGKILL");
    await cleanUp();
    throw error;
  }
}
