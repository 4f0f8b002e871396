import { FRAMING, HOP_BY_HOP } from "../http/headers.ts";
import type { IdemConfig } from "../model/config.ts";
import { parseFieldRef } from "../request/field-ref.ts";
import { errorMessage } from "../util/error-message.ts";
import { DEFAULTS } from "./defaults.ts";
import { originProblems } from "./origin-checks.ts";
import { mergeDefaults, resolveConfig } from "./resolve.ts";
import type { ParsedConfig, ParsedDedupRule } from "./schema.ts";
import { checkSchema, elementLabel } from "./schema-problems.ts";

/**
 * A config that cannot run. `problems` holds one line per mistake, each
 * starting with the path of the field, routes named by their `name`, e.g.
 * `routes["create-order"].key.pattern: must be a valid regular expression`.
 */
export class ConfigError extends Error {
  readonly problems: string[];
  /** Where the config was read: a file (`idem.config.toml`) or `IDEM_CONFIG`; unset until the caller knows. */
  readonly source: string | undefined;

  // Plain fields, not parameter properties: `check-config` runs this file on Node, which only strips types.
  constructor(problems: string[], source?: string) {
    super(`Invalid Idem config${source === undefined ? "" : ` in ${source}`}:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
    this.problems = problems;
    this.source = source;
  }
}

function pathParams(pattern: string): Set<string> {
  return new Set([...pattern.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] as string));
}

/** Every request field a dedup rule reads, with where it is written in the config. */
function dedupRefs(rule: ParsedDedupRule, at: string): [string, string][] {
  const refs: [string, string][] = [];
  for (const ref of Object.keys(rule.when ?? {})) refs.push([`${at}.when`, ref]);
  rule.prerequisites.forEach((ref, k) => {
    refs.push([`${at}.prerequisites[${k}]`, ref]);
  });
  rule.compare.forEach((compared, k) => {
    if (typeof compared === "string") {
      refs.push([`${at}.compare[${k}]`, compared]);
    } else {
      refs.push([`${at}.compare[${k}].field`, compared.field]);
      for (const ref of Object.keys(compared.when ?? {})) refs.push([`${at}.compare[${k}].when`, ref]);
    }
  });
  return refs;
}

/** A field reference's identity: header names are case-insensitive, other names are not. */
function sameField(text: string): string {
  const ref = parseFieldRef(text);
  return `${ref.source}:${ref.name}`;
}

/** Headers `forwardKey` may not name: they frame the message, or Idem sets them itself. */
const RESERVED_FORWARD_HEADERS: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP,
  ...FRAMING,
  "content-type",
  "content-encoding",
  "x-forwarded-host",
  "x-forwarded-proto",
]);

/** Rules that span several fields, which the schema cannot express; run on routes with the defaults merged in. */
function crossFieldProblems(config: ParsedConfig): string[] {
  const problems: string[] = [];
  const originTimeoutMs = config.originTimeoutMs ?? DEFAULTS.originTimeoutMs;
  const adminPrefix = config.admin?.pathPrefix ?? DEFAULTS.adminPathPrefix;
  const seen = new Set<string>();
  config.routes.forEach((route, i) => {
    const at = `routes${elementLabel(config.routes, i)}`;
    if (seen.has(route.name)) problems.push(`${at}.name: "${route.name}" is used by another route`);
    seen.add(route.name);
    if (route.path === adminPrefix || route.path.startsWith(`${adminPrefix}/`)) {
      problems.push(`${at}.path: overlaps the admin prefix ${adminPrefix}`);
    }
    const params = pathParams(route.path);
    const refs: [string, string][] = [
      ...Object.keys(route.when ?? {}).map((r): [string, string] => [`${at}.when`, r]),
      ...(route.scope ?? []).map((r, j): [string, string] => [`${at}.scope[${j}]`, r]),
    ];
    const keySource = route.key?.source;
    if (typeof keySource === "string") refs.push([`${at}.key.source`, keySource]);
    else {
      keySource?.forEach((ref, j) => {
        refs.push([`${at}.key.source[${j}]`, ref]);
      });
    }
    const key = route.key ?? {};
    if (Array.isArray(key.source)) {
      for (const knob of ["pattern", "maxLength"] as const) {
        if (key[knob] !== undefined) {
          problems.push(`${at}.key.${knob}: applies to a key the client sends, not to a key built from a list of fields`);
        }
      }
    }
    if (route.document) {
      refs.push([`${at}.document.id`, route.document.id]);
      route.document.scope?.forEach((r, j) => {
        refs.push([`${at}.document.scope[${j}]`, r]);
      });
    }
    const scopeRefs = new Set((route.scope ?? DEFAULTS.scope).map(sameField));
    route.identifiedBy?.forEach((ref, j) => {
      if (!scopeRefs.has(sameField(ref))) {
        problems.push(
          `${at}.identifiedBy[${j}]: "${ref}" is not one of the route's scope fields; name the scope fields that carry the caller's credential`,
        );
      }
    });
    if (route.clientField) refs.push([`${at}.clientField`, route.clientField]);
    route.dedup?.forEach((rule, j) => {
      refs.push(...dedupRefs(rule, `${at}.dedup${elementLabel(route.dedup, j)}`));
    });
    for (const [field, ref] of refs) {
      if (ref.startsWith("path:") && !params.has(ref.slice(5))) {
        problems.push(`${field}: "${ref}" names no parameter of path ${route.path}`);
      }
    }
    const lockTimeoutMs = route.lockTimeoutMs;
    if (lockTimeoutMs !== undefined && lockTimeoutMs <= originTimeoutMs) {
      problems.push(
        `${at}.lockTimeoutMs: ${lockTimeoutMs} must exceed originTimeoutMs (${originTimeoutMs}), or a request still at the origin could run twice`,
      );
    }
    if (route.forwardKey && RESERVED_FORWARD_HEADERS.has(route.forwardKey.header.toLowerCase())) {
      problems.push(
        `${at}.forwardKey.header: ${route.forwardKey.header} frames the request or is set by Idem itself; pick a header of your own, e.g. "Idem-Record"`,
      );
    }
    const clientField = route.clientField;
    const ruleNames = new Set<string>();
    route.dedup?.forEach((rule, j) => {
      if (ruleNames.has(rule.name)) problems.push(`${at}.dedup[${j}].name: "${rule.name}" is used by another rule of this route`);
      ruleNames.add(rule.name);
      if ((rule.clients || rule.exceptClients) && !clientField) {
        problems.push(`${at}.dedup${elementLabel(route.dedup, j)}.clients: needs the route's clientField to know which client sent a request`);
      }
    });
    const errors = route.errors;
    if (errors?.format === "json" && errors.template === undefined) {
      problems.push(`${at}.errors.template: required when errors.format is "json"`);
    }
  });
  return [...problems, ...documentGroupProblems(config)];
}

/** Routes that share a document group must name documents the same way, or their locks would silently never meet. */
function documentGroupProblems(config: ParsedConfig): string[] {
  const problems: string[] = [];
  const firstOfGroup = new Map<string, { name: string; scope: string }>();
  config.routes.forEach((route, i) => {
    if (!route.document) return;
    const group = route.document.group ?? route.name;
    const scope = (route.document.scope ?? route.scope ?? DEFAULTS.scope).join(", ");
    const first = firstOfGroup.get(group);
    if (!first) firstOfGroup.set(group, { name: route.name, scope });
    else if (first.scope !== scope) {
      problems.push(
        `routes${elementLabel(config.routes, i)}.document.scope: [${scope}] differs from [${first.scope}] of route "${first.name}" in document group "${group}"; routes of one group must scope documents alike`,
      );
    }
  });
  return problems;
}

/**
 * Parses, validates and resolves a config. Accepts the object from
 * `[vars.IDEM_CONFIG]` or the same as a JSON string.
 *
 * @throws ConfigError naming every bad field.
 * @example
 * const config = loadConfig({ origin: "https://api.example.com", routes: [{ name: "orders", path: "/orders" }] });
 * config.routes[0].methods // ["POST", "PATCH"]
 */
export function loadConfig(raw: unknown): IdemConfig {
  let input = raw;
  if (input === undefined || input === null || input === "") {
    throw new ConfigError(["IDEM_CONFIG: is not set (define [vars.IDEM_CONFIG] in wrangler.toml)"]);
  }
  if (typeof input === "string") {
    try {
      input = JSON.parse(input);
    } catch (error) {
      throw new ConfigError([`IDEM_CONFIG: is not valid JSON (${errorMessage(error)})`]);
    }
  }
  const checked = checkSchema(input);
  if ("problems" in checked) throw new ConfigError(checked.problems);
  const merged = mergeDefaults(checked.config);
  // Origins are checked before the merge, so that a wrong `defaults.origin` is named there once.
  const problems = [...crossFieldProblems(merged), ...originProblems(checked.config)];
  if (problems.length > 0) throw new ConfigError(problems);
  return resolveConfig(merged);
}
