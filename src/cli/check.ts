/**
 * Checks an Idem config before it is deployed, with the Worker's own code:
 *
 *   npm run check-config                                    wrangler.toml's Idem config (its file, or IDEM_CONFIG)
 *   npm run check-config -- --config wrangler.toml --env production
 *   npm run check-config -- --config idem.config.toml --env production   a config file and its [env.production]
 *   npm run check-config -- --explain "POST /orders" --header "Idempotency-Key: k-1" --header "Content-Type: application/json" --body '{"item":"book"}'
 *   npm run check-config -- --json                          the effective config as JSON
 *
 * It validates the config (exit 1 and one line per mistake when it is wrong),
 * warns (`!`) about what deserves a second look (routes where unidentified
 * callers share records), prints the effective routes with their policies, and, with --explain, says
 * which route and which rule a sample request would hit and which record it
 * would use. The explanation runs the gateway's own route table, conditions,
 * key reading and dedup matcher, so it cannot disagree with the Worker.
 */

import { readFileSync } from "node:fs";
import { basename, dirname, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parse as parseToml } from "smol-toml";
import { describeConfig, type Plain } from "../config/describe.ts";
import { ConfigError } from "../config/load.ts";
import { CONFIG_FILE_NAMES, CONFIG_FILE_SPECIFIER, type ConfigSources, loadConfigFrom } from "../config/sources.ts";
import { configWarnings } from "../config/warnings.ts";
import type { IdemConfig, Origin, Route } from "../model/config.ts";
import { type Explanation, explainRequest } from "../plan/explain.ts";
import { RouteTable } from "../plan/route-table.ts";
import { errorMessage } from "../util/error-message.ts";

/** Cloudflare's documented limit on one environment variable, which IDEM_CONFIG is. */
const VARIABLE_LIMIT_BYTES = 5 * 1024;
/**
 * Top-level fields only a wrangler config has. An Idem config is a strict
 * object without any of them, so one is enough to tell the two apart,
 * whatever the file is called (`wrangler.prod.toml`, `staging.jsonc`).
 */
const WRANGLER_FIELDS = ["name", "main", "compatibility_date", "vars", "alias", "durable_objects", "services", "migrations"] as const;

const USAGE = `Usage: idem check [options]   (in this repository: npm run check-config -- [options])
  --config <file>     a wrangler config (reads its config file or IDEM_CONFIG), or an Idem config file
                      (idem.config.toml or .json); told apart by content, not name (default wrangler.toml)
  --env <name>        the wrangler environment to read (or, for an Idem config file, its [env.<name>] section)
  --json              print the result as JSON; its "config" is the effective config in the config's own
                      shape, every default applied: saved as idem.config.json it loads to the same gateway
  --explain "<METHOD> <path?query>"   say which route, rule and record a sample request would hit
  --header "Name: value"              a header of the sample request (repeatable)
  --body <text|@file>                 the body of the sample request
  --all-envs          a wrangler config's top level and each of its [env.<name>], one line each (wrangler's [build] command)`;

class UsageError extends Error {}

interface ConfigSource {
  label: string;
  sources: ConfigSources;
  /** Bytes of the config as the Worker gets it: the file, or IDEM_CONFIG as JSON. */
  sizeBytes: number;
  /** The config is the IDEM_CONFIG variable, which Cloudflare caps at 5 KB. */
  isVariable: boolean;
  /** Hostnames the Worker serves as custom domains (wrangler configs only). */
  customDomains: string[];
  /** Mistakes in how wrangler.toml wires the config, which loading the config cannot see. */
  wiringProblems: string[];
  /** The service bindings the wrangler environment declares; undefined for a bare config file. */
  serviceBindings?: string[];
}

/**
 * A Worker on a custom domain *is* that hostname: its own fetch to it comes
 * back to the Worker, so an origin on that hostname would loop.
 */
/** Every origin with where it is written: `origin`, `origins.payments`. */
function originsOf(config: IdemConfig): [string, Origin][] {
  return [["origin", config.origin], ...Object.entries(config.origins).map(([name, o]): [string, Origin] => [`origins.${name}`, o])];
}

/** Origins that name a service binding the wrangler environment does not declare. */
function unboundServices(config: IdemConfig, serviceBindings: readonly string[] | undefined): string[] {
  if (serviceBindings === undefined) return [];
  return originsOf(config).flatMap(([at, origin]) =>
    origin.kind === "service" && !serviceBindings.includes(origin.binding)
      ? [`${at}.service: this wrangler environment declares no service binding ${origin.binding} ([[services]] binding = "${origin.binding}")`]
      : [],
  );
}

/** The secrets the origins' credential headers read, and which requests carry each: never their values, which check-config cannot see. */
function secretsNeeded(config: IdemConfig): string[] {
  return originsOf(config).flatMap(([at, origin]) =>
    origin.credentials.map(
      ({ header, secret, passThrough }) =>
        `${secret} (${at}.headers.${header}: ${passThrough ? "every request, pass-through too" : "requests a route takes"})`,
    ),
  );
}

function originLoops(config: IdemConfig, customDomains: readonly string[]): string[] {
  return originsOf(config).flatMap(([at, origin]) => {
    if (origin.kind !== "url") return [];
    const host = new URL(origin.base).hostname.toLowerCase();
    if (!customDomains.some((domain) => domain.toLowerCase() === host)) return [];
    return [
      `${at}: ${origin.base} is a custom domain of this Worker, so requests to it would come back to Idem; point it at the API's own hostname (docs/deploy.md)`,
    ];
  });
}

function isCustomDomain(route: unknown): route is { pattern: string; custom_domain: true } {
  return (
    typeof route === "object" &&
    route !== null &&
    "custom_domain" in route &&
    route.custom_domain === true &&
    "pattern" in route &&
    typeof route.pattern === "string"
  );
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${errorMessage(error)}`);
  }
}

const byteLength = (text: string) => new TextEncoder().encode(text).byteLength;

/** A TOML or JSON file's top-level table, read leniently: undefined when it does not parse (the loader reports that). */
function topLevel(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = text.trimStart().startsWith("{") ? JSON.parse(text) : parseToml(text);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The `[env.<name>]` sections a config file defines. */
function sectionNames(text: string): string[] {
  const env = topLevel(text)?.env;
  return env !== null && typeof env === "object" ? Object.keys(env) : [];
}

/**
 * Whether a file is a wrangler config, by what it holds: a field only wrangler
 * configs have. JSONC (comments, trailing commas) is wrangler's alone, so a
 * `.jsonc` file is one even when it does not parse as plain JSON here.
 */
function isWranglerConfig(path: string, text: string): boolean {
  const table = topLevel(text);
  if (table === undefined) return path.endsWith(".jsonc");
  return WRANGLER_FIELDS.some((field) => field in table);
}

/** What a wrangler config (with its environment) gives the Worker: its bundled config file or IDEM_CONFIG, and IDEM_ENV. */
async function readWranglerSource(path: string, absolute: string, env: string | undefined): Promise<ConfigSource> {
  // Loaded only for wrangler configs: it is large, and an Idem config file does not need it.
  const { unstable_readConfig } = await import("wrangler");
  let wrangler: ReturnType<typeof unstable_readConfig>;
  try {
    wrangler = unstable_readConfig({ config: absolute, env }, { hideWarnings: true });
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
  // Without any environment defined, wrangler quietly falls back to the top level.
  if (env !== undefined && !wrangler.definedEnvironments?.includes(env)) {
    throw new UsageError(`${path} defines no [env.${env}]`);
  }
  const routes: unknown[] = [...(wrangler.routes ?? []), ...(wrangler.route ? [wrangler.route] : [])];
  const customDomains = routes.flatMap((route) => (isCustomDomain(route) ? [route.pattern.replace(/\/.*$/, "")] : []));
  const environment = typeof wrangler.vars.IDEM_ENV === "string" ? wrangler.vars.IDEM_ENV : undefined;
  const wiringProblems: string[] = [];
  const aliased = wrangler.alias?.[CONFIG_FILE_SPECIFIER];
  let file = "";
  let fileLabel: string | undefined;
  if (aliased !== undefined) {
    const filePath = resolve(dirname(absolute), aliased);
    fileLabel = relative(process.cwd(), filePath) || filePath;
    file = readText(filePath);
    if (!(CONFIG_FILE_NAMES as readonly string[]).includes(basename(filePath))) {
      wiringProblems.push(
        `alias "${CONFIG_FILE_SPECIFIER}": points at ${aliased}; name the file ${CONFIG_FILE_NAMES.join(" or ")}, the names the Worker's own start-up errors use`,
      );
    }
    const sections = sectionNames(file);
    if (env !== undefined && sections.includes(env) && environment !== env) {
      wiringProblems.push(
        `env.${env}.vars.IDEM_ENV: is ${environment === undefined ? "not set" : `"${environment}"`}, so the [env.${env}] section of ${fileLabel} does not apply; set IDEM_ENV = "${env}" in [env.${env}.vars]`,
      );
    }
  }
  const variable = wrangler.vars.IDEM_CONFIG;
  const isVariable = aliased === undefined;
  const sizeBytes = isVariable ? byteLength(typeof variable === "string" ? variable : JSON.stringify(variable ?? "")) : byteLength(file);
  return {
    label: `${path}${env ? ` [env ${env}]` : ""}${fileLabel ? ` → ${fileLabel}` : ""}`,
    sources: { file, fileLabel, variable, environment },
    sizeBytes,
    isVariable,
    customDomains,
    wiringProblems,
    serviceBindings: (wrangler.services ?? []).map((service: { binding: string }) => service.binding),
  };
}

/** A wrangler config's Idem config (file or IDEM_CONFIG), or an Idem config file itself, whose [env.<name>] --env picks. */
async function readSource(path: string, env: string | undefined): Promise<ConfigSource> {
  const absolute = resolve(path);
  const file = readText(absolute);
  if (isWranglerConfig(absolute, file)) return readWranglerSource(path, absolute, env);
  return {
    label: path,
    sources: { file, fileLabel: path, variable: undefined, environment: env },
    sizeBytes: byteLength(file),
    isVariable: false,
    customDomains: [],
    wiringProblems: [],
  };
}

function compact(value: Plain): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * What a route does with a request whose outcome is unknown (docs/behaviour.md, rule 9),
 * in words: it is the choice between "at most once" and "at least once".
 */
function unknownOutcomeText(route: Route): string[] {
  if (route.onUnknownOutcome === "remember") {
    return [
      "      on an unknown outcome (timeout, reset, broken answer, object lost): remembered; retries get 502/504 outcome-unknown and the origin is never called again",
    ];
  }
  const lines = [
    '      on an unknown outcome: the key is released and a retry runs the request again (onUnknownOutcome = "release"); safe only for an origin that deduplicates it itself',
  ];
  if (!route.forwardKey) {
    lines.push("      ! without forwardKey the origin gets nothing to tell a re-run from a new request by (docs/behaviour.md, rule 9)");
  }
  return lines;
}

function routesText(config: IdemConfig): string[] {
  const described = describeConfig(config);
  const lines: string[] = [];
  for (const [field, value] of Object.entries(described)) {
    if (field !== "routes") lines.push(`  ${field}: ${compact(value)}`);
  }
  lines.push("", "Routes (in order; the first whose path, method and conditions fit takes the request):");
  const routes = Array.isArray(described.routes) ? described.routes : [];
  if (routes.length === 0) lines.push("  (none: every request passes through untouched)");
  routes.forEach((route, i) => {
    if (route === null || typeof route !== "object" || Array.isArray(route)) return;
    const { name, path, methods, ...policy } = route;
    lines.push(`  ${compact(name ?? "")}  ${Array.isArray(methods) ? methods.join(",") : ""} ${compact(path ?? "")}`);
    for (const [field, value] of Object.entries(policy)) {
      const empty = (Array.isArray(value) && value.length === 0) || (value !== null && typeof value === "object" && Object.keys(value).length === 0);
      if (!empty) lines.push(`      ${field}: ${compact(value)}`);
    }
    const resolved = config.routes[i];
    if (resolved) lines.push(...unknownOutcomeText(resolved));
  });
  return lines;
}

/** One line for a call of a bulk request. */
function callSummary(o: Explanation["outcome"]): string {
  switch (o.type) {
    case "refused":
      return `refused: ${o.kind} (${o.detail})`;
    case "key":
      return `route ${o.route}, key ${o.key}, record ${o.recordId}`;
    case "dedup":
      return `route ${o.route}, dedup rule ${o.rule}, record ${o.recordId}`;
    case "forward":
      return o.documentId === undefined
        ? `route ${o.route}, nothing recorded: sent on with the other such calls`
        : `route ${o.route}, document ${o.documentId} (runs alone, in its turn)`;
    case "pass-through":
      return "no route: sent on with the other such calls";
    case "batch":
      return "a bulk request inside a bulk request (not possible: such a call is refused)";
  }
}

function explanationText(request: string, explanation: Explanation): string[] {
  const lines = [`Explain: ${request}`];
  for (const c of explanation.candidates) {
    lines.push(
      `  candidate   ${c.route} (${c.path}): conditions ${c.conditions === "hold" ? "hold" : c.conditions === "fail" ? "do not hold" : "cannot be read"}`,
    );
  }
  const o = explanation.outcome;
  switch (o.type) {
    case "batch":
      lines.push(`  route       ${o.route}: a bulk request; each call is planned as if it were sent alone`);
      o.calls.forEach((call, i) => {
        lines.push(`  call ${String(i + 1).padEnd(7)}${call.requestName}: ${callSummary(call.outcome)}`);
      });
      break;
    case "pass-through":
      lines.push("  route       none: streamed to the origin untouched, nothing recorded");
      break;
    case "refused":
      lines.push(`  route       ${o.route ?? "none"}`, `  answer      Idem refuses it: ${o.kind} (${o.detail})`);
      break;
    case "forward":
      lines.push(`  route       ${o.route}`, "  record      none: no key and no dedup rule covers it; forwarded each time");
      break;
    case "key":
      lines.push(
        `  route       ${o.route}`,
        `  key         ${o.key}`,
        "  answer      the first request with this key runs at the origin; retries get its stored answer",
      );
      break;
    case "dedup":
      lines.push(
        `  route       ${o.route}`,
        `  dedup rule  ${o.rule} (window ${o.windowMs / 1000} s)`,
        "  answer      runs at the origin unless a duplicate ran within the window; then it gets that answer",
      );
      break;
  }
  if (o.type === "key" || o.type === "dedup" || o.type === "forward") lines.push(`  scope       ${o.scope}`);
  if (o.type === "key" || o.type === "dedup") lines.push(`  record      ${o.recordId}`, `  key object  ${o.keyObject}`);
  if (explanation.origin) {
    const { name, url, binding } = explanation.origin;
    lines.push(`  origin      ${name}: ${binding === undefined ? url : `${url} through the service binding ${binding}`}`);
  }
  if ((o.type === "key" || o.type === "forward") && o.documentId !== undefined) {
    lines.push(`  document    ${o.documentId} (its calls run one at a time)`);
  }
  return lines;
}

function sampleFrom(explain: string, headerLines: string[], body: string | undefined) {
  const match = /^([A-Za-z]+)\s+(\S+)$/.exec(explain.trim());
  if (!match) throw new UsageError(`--explain takes "METHOD /path?query", e.g. "POST /orders"; got "${explain}"`);
  const [, method = "", target = ""] = match;
  const url = new URL(target, "https://idem.example");
  const headers = new Headers();
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new UsageError(`--header takes "Name: value"; got "${line}"`);
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  let text = body ?? "";
  if (text.startsWith("@")) text = readFileSync(resolve(text.slice(1)), "utf8");
  // No Content-Type is guessed: the gateway guesses none, and a body sent without one is not the request it reads.
  return { method: method.toUpperCase(), url, headers, body: new TextEncoder().encode(text) };
}

/** What one run printed, and its exit code: 0 valid, 1 invalid config, 2 usage error. */
export interface CheckResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function check(argv: string[]): Promise<CheckResult> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: "string", default: "wrangler.toml" },
      env: { type: "string" },
      json: { type: "boolean", default: false },
      explain: { type: "string" },
      header: { type: "string", multiple: true, default: [] },
      body: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) return { code: 0, stdout: USAGE, stderr: "" };
  if (values.explain === undefined && (values.header.length > 0 || values.body !== undefined)) {
    throw new UsageError("--header and --body describe the request of --explain");
  }
  const source = await readSource(values.config, values.env === "" ? undefined : values.env);
  let config: IdemConfig;
  try {
    if (source.wiringProblems.length > 0) throw new ConfigError(source.wiringProblems);
    config = loadConfigFrom(source.sources);
    const problems = [...originLoops(config, source.customDomains), ...unboundServices(config, source.serviceBindings)];
    if (problems.length > 0) throw new ConfigError(problems);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const lines = [`✗ ${source.label}: the Idem config is invalid`, ...error.problems.map((problem) => `  - ${problem}`)];
    return { code: 1, stdout: "", stderr: lines.join("\n") };
  }
  const size = source.sizeBytes;
  const sample = values.explain === undefined ? undefined : sampleFrom(values.explain, values.header, values.body);
  const explanation = sample && (await explainRequest(config, new RouteTable(config.routes, config.pathMatching), sample));

  if (values.json) {
    const result = {
      valid: true,
      source: source.label,
      sizeBytes: size,
      warnings: configWarnings(config),
      config: describeConfig(config),
      explanation,
    };
    return { code: 0, stdout: JSON.stringify(result, null, 2), stderr: "" };
  }
  const lines = [`✓ ${source.label}: the Idem config is valid (${config.routes.length} route${config.routes.length === 1 ? "" : "s"})`];
  if (source.isVariable && size > VARIABLE_LIMIT_BYTES) {
    lines.push(
      `  ! IDEM_CONFIG is ${size} bytes as JSON; Cloudflare limits one environment variable to 5 KB, so a deploy may refuse it: move it to ${CONFIG_FILE_NAMES[0]} (docs/configuration.md)`,
    );
  }
  const secrets = secretsNeeded(config);
  if (secrets.length > 0) lines.push(`  secrets the origins read (set each with wrangler secret put): ${secrets.join(", ")}`);
  for (const warning of configWarnings(config)) lines.push(`  ! ${warning}`);
  lines.push(...routesText(config));
  if (sample && explanation) lines.push("", ...explanationText(`${sample.method} ${sample.url.pathname}${sample.url.search}`, explanation));
  return { code: 0, stdout: lines.join("\n"), stderr: "" };
}

/**
 * Runs check-config on command-line arguments and returns what it would
 * print; usage mistakes (unknown options, a missing file or environment) give
 * exit code 2.
 *
 * @example
 * const { code, stdout } = await checkConfig(["--config", "examples/stripe/wrangler.toml"]);
 */
export async function checkConfig(argv: string[]): Promise<CheckResult> {
  try {
    return await check(argv);
  } catch (error) {
    const parseArgsError = error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS");
    if (!(error instanceof UsageError) && !parseArgsError) throw error;
    return { code: 2, stdout: "", stderr: `check-config: ${errorMessage(error)}\n\n${USAGE}` };
  }
}
