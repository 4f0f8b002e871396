import { type ParsedOrigin, PLACEHOLDER } from "./origin-schema.ts";
import { FIELD_REF_PATTERN, type ParsedConfig } from "./schema.ts";
import { elementLabel, nearMiss } from "./schema-problems.ts";

function templateProblems(at: string, origin: ParsedOrigin): string[] {
  if (typeof origin !== "string" && "service" in origin) return [];
  const url = typeof origin === "string" ? origin : origin.url;
  const allowHosts = typeof origin === "string" ? undefined : origin.allowHosts;
  const refs = [...url.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
  const field = typeof origin === "string" ? at : `${at}.url`;
  if (refs.length === 0) {
    return allowHosts === undefined ? [] : [`${at}.allowHosts: applies to a url with {field} placeholders only`];
  }
  const problems = refs.flatMap((ref) => {
    if (!FIELD_REF_PATTERN.test(ref)) return [`${field}: {${ref}} is not a field reference like {param:clientCode}`];
    if (ref.startsWith("path:"))
      return [`${field}: {${ref}}: an origin is chosen before the route's path parameters are known; use header:, query:, body: or param:`];
    return [];
  });
  if (allowHosts === undefined) {
    problems.push(
      `${at}.allowHosts: required for a url with {field} placeholders, so that no request can send Idem to a host you did not intend (e.g. ["*.erply.com"])`,
    );
  }
  return problems;
}

/**
 * Mistakes in the origins that the schema cannot see: a route naming an
 * origin that does not exist, a template without the hosts it may reach.
 * Runs on the config as written (before `defaults` are merged into routes).
 *
 * @example
 * originProblems(parsed) // ['routes["refund"].origin: "paymnets" names none of origins (payments, customers); did you mean "payments"?']
 */
export function originProblems(config: ParsedConfig): string[] {
  const names = Object.keys(config.origins ?? {});
  const problems = [
    ...templateProblems("origin", config.origin),
    ...Object.entries(config.origins ?? {}).flatMap(([name, origin]) => templateProblems(`origins.${name}`, origin)),
  ];
  const check = (at: string, choice: string | undefined) => {
    if (choice !== undefined && !names.includes(choice)) {
      const meant = nearMiss(choice, names);
      problems.push(
        `${at}.origin: "${choice}" names none of origins (${names.length === 0 ? "there are none" : names.join(", ")})${meant === undefined ? "" : `; did you mean "${meant}"?`}`,
      );
    }
  };
  check("defaults", config.defaults?.origin);
  config.routes.forEach((route, i) => {
    check(`routes${elementLabel(config.routes, i)}`, route.origin);
  });
  return problems;
}
