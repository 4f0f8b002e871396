import type { Origin } from "../model/config.ts";
import { type FieldRef, parseFieldRef, readsBody } from "../request/field-ref.ts";
import { DEFAULTS } from "./defaults.ts";
import { type ParsedOrigin, PLACEHOLDER } from "./origin-schema.ts";

const stripSlashes = (url: string) => url.replace(/\/+$/, "");

/**
 * Resolves one origin as written in the config.
 *
 * @example
 * resolveOrigin("payments", { url: "https://pay.example.com/", headers: { "X-Origin-Auth": { secret: "PAY_AUTH" } } })
 * // { name: "payments", kind: "url", base: "https://pay.example.com", credentials: [{ header: "x-origin-auth", secret: "PAY_AUTH", passThrough: false }] }
 */
export function resolveOrigin(name: string, parsed: ParsedOrigin): Origin {
  const written = typeof parsed === "string" ? { url: parsed } : parsed;
  const credentials = Object.entries(written.headers ?? {}).map(([header, { secret, passThrough }]) => ({
    header: header.toLowerCase(),
    secret,
    passThrough: passThrough ?? DEFAULTS.credentialsPassThrough,
  }));
  if ("service" in written) return { name, kind: "service", binding: written.service, credentials };
  const fields = [...written.url.matchAll(PLACEHOLDER)].map((m) => parseFieldRef(m[1] as string));
  if (fields.length === 0) return { name, kind: "url", base: stripSlashes(written.url), credentials };
  return {
    name,
    kind: "template",
    template: stripSlashes(written.url),
    fields,
    allowHosts: "allowHosts" in written ? (written.allowHosts ?? []) : [],
    credentials,
  };
}

/**
 * Whether choosing this origin needs the request's body (a placeholder names a body field).
 *
 * @example
 * originReadsBody(resolveOrigin("erply", { url: "https://{param:clientCode}.erply.com", allowHosts: ["*.erply.com"] })) // true
 */
export function originReadsBody(origin: Origin): boolean {
  return origin.kind === "template" && origin.fields.some(readsBody);
}

/**
 * The fields that pick the origin: records of one route on two accounts' hosts must never meet, so they join the scope.
 *
 * @example
 * originScopeFields(erply).map((ref) => ref.text) // ["param:clientCode"]
 */
export function originScopeFields(origin: Origin): FieldRef[] {
  return origin.kind === "template" ? origin.fields : [];
}
