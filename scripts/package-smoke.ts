/**
 * The package as a user meets it (npm run package-smoke; CI runs it):
 *
 *   1. npm pack: the tarball, which must hold dist/ and the schema, and none of test/, bench/, harness/, demo/
 *   2. npm install <tarball> into an empty folder; npx idem init --origin <a local origin>; npm install (wrangler)
 *   3. npm run check, and npx wrangler deploy --dry-run: both pass
 *   4. a misspelt field in idem.config.toml stops the dry-run, naming the file and the field
 *   5. npx wrangler dev, and a keyed POST /orders sent twice: the second is a replay, the origin ran it once
 *
 * The package comes from the tarball; its dependencies and wrangler from the registry (or npm's cache).
 * Exit 0 when all hold; otherwise the step that failed and what it printed.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { startOrdersOrigin } from "../demo/orders-origin.ts";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");
const work = mkdtempSync(join(tmpdir(), "idem-package-smoke-"));
const project = join(work, "project");
const DEV_PORT = 8797;
const started = Date.now();
// wrangler needs Node 22.12 or later: the one running this script (package.json's `node`) goes first on PATH.
const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`, WRANGLER_SEND_METRICS: "false" };

/** A Worker that builds Idem in code, typed against the package's .d.ts; a misspelt field must be a type error. */
const IN_CODE = `import { createWorker, defineConfig, type Env } from "idem-gateway";
export { DocumentObject, KeyObject } from "idem-gateway";
const idem = createWorker(defineConfig({ origin: "https://api.example.com", routes: [{ name: "o", path: "/orders", key: { required: true } }] }));
export default { fetch: (request, env) => idem.fetch(request, env) } satisfies ExportedHandler<Env>;
// @ts-expect-error: a misspelt field is a type error
defineConfig({ origin: "https://api.example.com", routes: [{ name: "o", pth: "/orders" }] });
`;

/** A user's usual tsconfig; the Workers types come from this repository, so that nothing more is installed. */
const tsconfig = () => ({
  compilerOptions: {
    target: "es2022",
    module: "esnext",
    moduleResolution: "bundler",
    lib: ["es2022"],
    types: [join(root, "node_modules/@cloudflare/workers-types")],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  },
  include: ["src"],
});

function step(text: string): void {
  console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${text}`);
}

function fail(text: string, output = ""): never {
  console.error(`✗ ${text}${output ? `\n${output}` : ""}`);
  process.exit(1);
}

/** Runs a command to its end; returns its exit code and everything it printed. */
function run(command: string, args: string[], cwd: string): { code: number | null; output: string } {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8" });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

function mustRun(command: string, args: string[], cwd: string): string {
  const { code, output } = run(command, args, cwd);
  if (code !== 0) fail(`${command} ${args.join(" ")} exited ${code}`, output);
  return output;
}

async function waitForDev(dev: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (dev.exitCode !== null) fail(`wrangler dev exited ${dev.exitCode}`, log());
    try {
      await fetch(`http://127.0.0.1:${DEV_PORT}/`);
      return;
    } catch {
      await new Promise((done) => setTimeout(done, 250));
    }
  }
  fail("wrangler dev did not answer within 60 s", log());
}

step("npm run build; npm pack");
mustRun("npm", ["run", "build"], root);
// Built just above: prepack's output would break the JSON.
const packed = JSON.parse(mustRun("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], root)) as [
  { filename: string; files: { path: string }[] },
];
const [{ filename, files }] = packed;
const paths = files.map((file) => file.path);
// dist/ must hold the build of src/ alone: anything else written there (a dry-run's bundle) would ship too.
const notBuilt = (path: string) =>
  path.startsWith("dist/") && !existsSync(join(root, path.replace(/^dist\//, "src/").replace(/(\.d)?\.js$|\.d\.ts$/, ".ts")));
const shipped = paths.filter((path) => /^(test|bench|harness|demo|scripts|examples)\//.test(path) || notBuilt(path));
if (shipped.length > 0) fail(`the tarball holds what only this repository needs: ${shipped.join(", ")}`);
for (const needed of ["dist/index.js", "dist/index.d.ts", "dist/worker/configured-worker.js", "dist/cli/idem.js", "idem.config.schema.json"]) {
  if (!paths.includes(needed)) fail(`the tarball lacks ${needed}`);
}
step(`${filename}: ${paths.length} files`);

const origin = await startOrdersOrigin();
let dev: ChildProcess | undefined;
try {
  step("npm install <tarball> into an empty folder; npx idem init; npm install");
  mustRun("mkdir", ["-p", project], work);
  mustRun("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", join(work, filename)], project);
  mustRun("npx", ["--no", "idem", "init", "--origin", origin.url], project);
  mustRun("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], project);

  step("npm run check; npx wrangler deploy --dry-run");
  mustRun("npm", ["run", "check"], project);
  const dryRun = mustRun("npx", ["--no", "wrangler", "deploy", "--dry-run", "--outdir", "dist"], project);
  if (!dryRun.includes("the Idem config is valid")) fail("the dry-run did not check the Idem config", dryRun);

  step("the types: tsc on a Worker that configures Idem in code");
  writeFileSync(join(project, "src/in-code.ts"), IN_CODE);
  writeFileSync(join(project, "tsconfig.json"), JSON.stringify(tsconfig(), null, 2));
  mustRun(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "."], project);

  step("a misspelt field stops the dry-run");
  const configPath = join(project, "idem.config.toml");
  const config = readFileSync(configPath, "utf8");
  writeFileSync(configPath, config.replace('path = "/orders"', 'pth = "/orders"'));
  const broken = run("npx", ["--no", "wrangler", "deploy", "--dry-run", "--outdir", "dist"], project);
  if (broken.code === 0) fail("the dry-run passed with a misspelt field in idem.config.toml", broken.output);
  if (!broken.output.includes("idem.config.toml") || !/routes\[[^\]]+\]\.pth: unknown field/.test(broken.output)) {
    fail("the dry-run stopped without naming idem.config.toml and the misspelt field", broken.output);
  }
  writeFileSync(configPath, config);

  step("npx wrangler dev; a keyed POST /orders, twice");
  let devOutput = "";
  dev = spawn("npx", ["--no", "wrangler", "dev", "--ip", "127.0.0.1", "--port", String(DEV_PORT)], { cwd: project, env, detached: true });
  dev.stdout?.on("data", (chunk: Buffer) => {
    devOutput += chunk.toString();
  });
  dev.stderr?.on("data", (chunk: Buffer) => {
    devOutput += chunk.toString();
  });
  await waitForDev(dev, () => devOutput);
  const send = () =>
    fetch(`http://127.0.0.1:${DEV_PORT}/orders`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": "smoke-1", authorization: "Bearer smoke", "demo-tag": "smoke" },
      body: JSON.stringify({ item: "book" }),
    });
  const first = await send();
  const firstBody = await first.text();
  const second = await send();
  const secondBody = await second.text();
  const executions = origin.received.filter((request) => request.method === "POST").length;
  if (first.status !== 201 || first.headers.has("idempotent-replayed")) fail(`the first POST got ${first.status}`, firstBody);
  if (second.headers.get("idempotent-replayed") !== "true" || secondBody !== firstBody) {
    fail(`the retry was not a replay of the first answer (${second.status})`, secondBody);
  }
  if (executions !== 1) fail(`the origin ran the POST ${executions} times`);
  step(`✓ replayed (${second.status}, Idempotent-Replayed: true); the origin ran it once`);
} finally {
  // wrangler dev and its workerd: the whole process group this script started.
  if (dev?.pid !== undefined && dev.exitCode === null) process.kill(-dev.pid, "SIGTERM");
  await origin.close();
  rmSync(work, { recursive: true, force: true });
}
