/**
 * `idem init [dir] [--origin URL]`: writes a project that runs Idem in front
 * of an API, or adds what is missing to one (a folder where `npm install
 * idem-gateway` just ran). It never overwrites a file or a setting: an
 * existing file is left as it is, and an existing package.json only gains the
 * scripts and dependencies it lacks.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import packageJson from "../../package.json" with { type: "json" };
import type { CheckResult } from "./check.ts";

/** The compatibility date the project starts with: the one Idem is built and tested with (its wrangler.toml). */
export const COMPATIBILITY_DATE = "2026-11-01";

const USAGE = `Usage: idem init [dir] [--origin URL]
  dir             the project's folder (default: the current one); created if missing
  --origin URL    the API Idem sits in front of (default https://api.example.com, to edit)`;

/** What the scaffold adds to package.json; a script or dependency that is already there stays as it is. */
const SCRIPTS: Record<string, string> = {
  dev: "wrangler dev",
  deploy: "wrangler deploy",
  check: "idem check",
};

function wranglerToml(name: string): string {
  return `#:schema node_modules/wrangler/config-schema.json
# Idem, an idempotency gateway, in front of your API (node_modules/idem-gateway/docs/package.md).
#   npm run dev       run it locally on http://127.0.0.1:8787
#   npm run check     check idem.config.toml, and see which route takes which request
#   npm run deploy    deploy it (first: npx wrangler secret put ADMIN_TOKEN, for the admin API)
name = "${name}"
main = "src/index.ts"
compatibility_date = "${COMPATIBILITY_DATE}"
# Source maps keep stack traces readable in Workers Logs.
upload_source_maps = true

# The Idem config file, bundled into the Worker: "#idem-config" is the name Idem imports it by.
alias = { "#idem-config" = "./idem.config.toml" }

# Every build (wrangler dev, wrangler deploy, wrangler deploy --dry-run) checks the Idem config
# of every environment first: a mistake stops it, naming the file and the field.
[build]
command = "npm run --silent check -- --all-envs"

# Workers Logs indexes the JSON line Idem writes per decision.
[observability]
enabled = true

# Idem's two Durable Object classes: records of keys, and per-document queues.
# An [env.<name>] section must repeat these bindings (wrangler does not inherit them).
[[durable_objects.bindings]]
name = "KEYS"
class_name = "KeyObject"

[[durable_objects.bindings]]
name = "DOCUMENTS"
class_name = "DocumentObject"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["KeyObject", "DocumentObject"]
`;
}

function idemConfigToml(origin: string): string {
  return `#:schema ./node_modules/idem-gateway/idem.config.schema.json
# Idem's config (node_modules/idem-gateway/docs/package.md). Check it with: npm run check
# Requests no route takes go to the origin untouched.
origin = "${origin}"

# A POST /orders with an Idempotency-Key runs at the origin once; a retry with the
# same key gets the stored answer (with Idempotent-Replayed: true).
[[routes]]
name = "create-order"
path = "/orders"
methods = ["POST"]
# A POST without a key is refused (400), so no client can create an order twice by accident.
key = { required = true }
# Keys belong to the caller: two callers may use the same key without seeing each
# other's answers. A request without the header is refused (400).
scope = ["header:Authorization"]
anonymous = "refuse"
`;
}

const WORKER_ENTRY = `// The Worker: Idem, with its config from idem.config.toml (wrangler.toml's alias).
// To build the config in code instead: node_modules/idem-gateway/docs/package.md.
export { default, DocumentObject, KeyObject } from "idem-gateway/worker";
`;

const DEV_VARS_EXAMPLE = `# Local secrets for npm run dev (wrangler dev). Copy to .dev.vars, which git ignores.
#
# The admin API's bearer token (idem records …): at least 32 characters, your own. Make one with
#   openssl rand -hex 32
# Without it the admin API is off. In production: npx wrangler secret put ADMIN_TOKEN
ADMIN_TOKEN=
`;

const GITIGNORE = `node_modules/
.wrangler/
.dev.vars
`;

/** An npm package name from a folder name: lower case, no spaces or other characters npm refuses. */
function packageName(dir: string): string {
  const name = basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+|[-]+$/g, "");
  return name === "" ? "idem-gateway-worker" : name;
}

/** A Worker name from a package name: wrangler takes lower-case letters, digits and dashes only (`@acme/edge.api` → `acme-edge-api`). */
function workerNameFrom(name: string): string {
  const worker = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return worker === "" ? "idem-gateway-worker" : worker;
}

type Json = Record<string, unknown>;

const isTable = (value: unknown): value is Json => value !== null && typeof value === "object" && !Array.isArray(value);

/** Adds what is missing to a package.json (new or existing); returns the names of what it added. */
function completePackageJson(pkg: Json): string[] {
  const added: string[] = [];
  const scripts = isTable(pkg.scripts) ? pkg.scripts : {};
  for (const [name, command] of Object.entries(SCRIPTS)) {
    if (name in scripts) continue;
    scripts[name] = command;
    added.push(`scripts.${name}`);
  }
  pkg.scripts = scripts;
  const dependencies = isTable(pkg.dependencies) ? pkg.dependencies : {};
  const devDependencies = isTable(pkg.devDependencies) ? pkg.devDependencies : {};
  if (!(packageJson.name in dependencies) && !(packageJson.name in devDependencies)) {
    dependencies[packageJson.name] = `^${packageJson.version}`;
    added.push(`dependencies.${packageJson.name}`);
  }
  if (!("wrangler" in dependencies) && !("wrangler" in devDependencies)) {
    devDependencies.wrangler = `^${packageJson.devDependencies.wrangler}`;
    added.push("devDependencies.wrangler");
  }
  if (Object.keys(dependencies).length > 0) pkg.dependencies = dependencies;
  if (Object.keys(devDependencies).length > 0) pkg.devDependencies = devDependencies;
  return added;
}

/**
 * Runs `idem init` on command-line arguments and returns what it would print.
 *
 * @example
 * const { code, stdout } = await init(["my-gateway", "--origin", "https://api.example.com"]);
 */
export async function init(argv: string[]): Promise<CheckResult> {
  let values: { origin?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: { origin: { type: "string" }, help: { type: "boolean" } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    return { code: 2, stdout: "", stderr: `idem init: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}` };
  }
  if (values.help) return { code: 0, stdout: USAGE, stderr: "" };
  if (positionals.length > 1) return { code: 2, stdout: "", stderr: `idem init: one folder at most\n\n${USAGE}` };
  const origin = values.origin ?? "https://api.example.com";
  if (!URL.canParse(origin) || !/^https?:$/.test(new URL(origin).protocol)) {
    return { code: 2, stdout: "", stderr: `idem init: --origin must be an http(s) URL, e.g. https://api.example.com; got "${origin}"` };
  }
  const dir = resolve(positionals[0] ?? ".");
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];

  const pkgPath = join(dir, "package.json");
  const existing = existsSync(pkgPath);
  let pkg: Json;
  try {
    const parsed: unknown = existing ? JSON.parse(readFileSync(pkgPath, "utf8")) : { name: packageName(dir), private: true, type: "module" };
    if (!isTable(parsed)) throw new Error("is not a JSON object");
    pkg = parsed;
  } catch (error) {
    return {
      code: 1,
      stdout: "",
      stderr: `idem init: ${"package.json"} ${error instanceof Error ? error.message : String(error)}; fix it and run idem init again`,
    };
  }
  const added = completePackageJson(pkg);
  if (!existing || added.length > 0) writeFileSync(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
  lines.push(
    existing
      ? `  ${added.length > 0 ? "updated" : "kept   "} ${"package.json"}${added.length > 0 ? ` (added ${added.join(", ")})` : ""}`
      : `  wrote   ${"package.json"}`,
  );

  mkdirSync(join(dir, "src"), { recursive: true });
  const workerName = workerNameFrom(typeof pkg.name === "string" ? pkg.name : basename(dir));
  const files: [string, string][] = [
    ["wrangler.toml", wranglerToml(workerName)],
    ["idem.config.toml", idemConfigToml(origin)],
    ["src/index.ts", WORKER_ENTRY],
    [".dev.vars.example", DEV_VARS_EXAMPLE],
    [".gitignore", GITIGNORE],
  ];
  for (const [file, content] of files) {
    const path = join(dir, file);
    if (existsSync(path)) {
      lines.push(`  kept    ${file} (exists)`);
      continue;
    }
    writeFileSync(path, content);
    lines.push(`  wrote   ${file}`);
  }
  const cd = relative(process.cwd(), dir);
  lines.push(
    "",
    "Next:",
    ...(cd === "" ? [] : [`  cd ${cd.startsWith("..") ? dir : cd}`]),
    "  npm install",
    "  cp .dev.vars.example .dev.vars   # and put a token of your own in it: openssl rand -hex 32",
    "  npm run dev                      # Idem on http://127.0.0.1:8787",
  );
  return { code: 0, stdout: [`idem init: ${dir}`, ...lines].join("\n"), stderr: "" };
}
