/**
 * `idem routes --host H [--zone Z] [--config F] [--env E]`: the wrangler
 * `routes` of a zone route deploy that send only the paths Idem's routes
 * cover (and its admin prefix) through the Worker. Every other request goes
 * straight to the zone's origin and never runs the Worker (docs/cli.md has
 * what that saves).
 */
import { parseArgs } from "node:util";
import { type CheckResult, checkConfig } from "./check.ts";

const USAGE = `Usage: idem routes --host api.example.com [--zone example.com] [--config F] [--env E]
  --host H     the hostname the API is served on, in a Cloudflare zone
  --zone Z     the zone's name, for wrangler's zone_name (default: none; wrangler finds the zone by the host)
  --config F   wrangler.toml or an Idem config file, as for idem check (default wrangler.toml)
  --env E      the environment to read`;

/** The parts of `idem check --json`'s effective config this command reads. */
interface Effective {
  routes: { path: string }[];
  admin: { pathPrefix: string };
  pathMatching: { caseInsensitive: boolean; mergeSlashes: boolean };
}

/**
 * The route pattern prefix of an Idem path: up to its first parameter or
 * wildcard segment. Route patterns allow `*` only at the end, so `/orders/:id/lines`
 * becomes `/orders/`: more paths than the route's, never fewer.
 */
export function patternPrefix(path: string): string {
  const variable = path.search(/[:*]/);
  if (variable === -1) return path;
  return path.slice(0, path.lastIndexOf("/", variable) + 1);
}

/**
 * The fewest path prefixes that cover all of `prefixes`: a prefix another one
 * starts with is dropped. Each becomes `host + prefix + "*"`, which also takes
 * a trailing slash and deeper paths (Idem passes through what no route takes).
 *
 * @example
 * coveringPrefixes(["/orders", "/orders/", "/__idem"]) // ["/__idem", "/orders"]
 */
export function coveringPrefixes(prefixes: readonly string[]): string[] {
  const sorted = [...new Set(prefixes)].sort();
  return sorted.filter((prefix, i) => !sorted.slice(0, i).some((shorter) => prefix.startsWith(shorter)));
}

/**
 * Runs `idem routes` on command-line arguments and returns what it would print.
 *
 * @example
 * const { stdout } = await routesCommand(["--config", "wrangler.toml", "--host", "api.example.com", "--zone", "example.com"]);
 */
export async function routesCommand(argv: string[]): Promise<CheckResult> {
  let values: { host?: string; zone?: string; config?: string; env?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { host: { type: "string" }, zone: { type: "string" }, config: { type: "string" }, env: { type: "string" }, help: { type: "boolean" } },
      strict: true,
    }));
  } catch (error) {
    return { code: 2, stdout: "", stderr: `idem routes: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}` };
  }
  if (values.help) return { code: 0, stdout: USAGE, stderr: "" };
  const host = values.host?.toLowerCase();
  if (host === undefined || !/^[a-z0-9.-]+$/.test(host))
    return { code: 2, stdout: "", stderr: `idem routes: --host takes a hostname, e.g. api.example.com\n\n${USAGE}` };
  const checked = await checkConfig([
    ...(values.config === undefined ? [] : ["--config", values.config]),
    ...(values.env === undefined ? [] : ["--env", values.env]),
    "--json",
  ]);
  if (checked.code !== 0) return checked;
  const config = (JSON.parse(checked.stdout) as { config: Effective }).config;

  const entry = (path: string) =>
    values.zone === undefined ? `  "${host}${path}",` : `  { pattern = "${host}${path}", zone_name = "${values.zone}" },`;
  const lines = [`# For ${host}: the paths Idem's routes take, and its admin API. Every other request skips the Worker.`];
  if (config.pathMatching.caseInsensitive || config.pathMatching.mergeSlashes) {
    // Route patterns match the path as sent: /ORDERS or //orders would miss a narrow pattern and skip Idem.
    lines.push(
      "# pathMatching folds case or merges slashes, which route patterns cannot: every path goes through Idem.",
      "routes = [",
      entry("/*"),
      "]",
    );
    return { code: 0, stdout: lines.join("\n"), stderr: "" };
  }
  const prefixes = coveringPrefixes([...config.routes.map((route) => patternPrefix(route.path)), config.admin.pathPrefix]);
  lines.push("routes = [", ...prefixes.map((prefix) => entry(`${prefix}*`)), "]");
  return { code: 0, stdout: lines.join("\n"), stderr: "" };
}
