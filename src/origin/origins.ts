import { type ParsedOrigin, PLACEHOLDER } from "../config/origin-schema.ts";
import { type FieldRef, parseFieldRef, readsBody } from "../request/field-ref.ts";
import type { RequestFields } from "../request/request-fields.ts";

/** A header Idem adds to every request for an origin, its value read from a Worker secret when it is sent. */
export interface CredentialHeader {
  /** Lower-case header name. */
  header: string;
  /** The secret's binding name. */
  secret: string;
}

interface OriginBase {
  /** `origin` for the top-level one, else its key in `origins`. */
  name: string;
  credentials: CredentialHeader[];
}

/** A back end Idem sends requests to, resolved from the config. */
export type Origin =
  | (OriginBase & { kind: "url"; base: string })
  | (OriginBase & { kind: "service"; binding: string })
  | (OriginBase & {
      kind: "template";
      /** The URL as written, with `{field}` placeholders. */
      template: string;
      /** The fields the placeholders name, in order. */
      fields: FieldRef[];
      /** Lower-case host patterns; `*.` stands for exactly one label. */
      allowHosts: string[];
    });

/** Where one request goes: a URL, reached over the network or through a service binding. */
export interface OriginTarget {
  /** The full URL: the origin's base, then the client's path and query. */
  url: string;
  /** The service binding to send it through, instead of the network. */
  binding?: string;
  credentials: CredentialHeader[];
}

/** Why a request cannot be sent: its fields do not make an allowed origin. */
export interface OriginRefusal {
  refused: true;
  detail: string;
  /** The field at fault, for error envelopes that name it. */
  field?: string;
}

/** A value filled into an origin URL: one DNS label or path segment, nothing that could change the URL's shape. */
const PLAIN_VALUE = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;

const stripSlashes = (url: string) => url.replace(/\/+$/, "");

/**
 * Resolves one origin as written in the config.
 *
 * @example
 * resolveOrigin("payments", { url: "https://pay.example.com/", headers: { "X-Origin-Auth": { secret: "PAY_AUTH" } } })
 * // { name: "payments", kind: "url", base: "https://pay.example.com", credentials: [{ header: "x-origin-auth", secret: "PAY_AUTH" }] }
 */
export function resolveOrigin(name: string, parsed: ParsedOrigin): Origin {
  const written = typeof parsed === "string" ? { url: parsed } : parsed;
  const credentials = Object.entries(written.headers ?? {}).map(([header, { secret }]) => ({ header: header.toLowerCase(), secret }));
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

/** Whether choosing this origin needs the request's body (a placeholder names a body field). */
export function originReadsBody(origin: Origin): boolean {
  return origin.kind === "template" && origin.fields.some(readsBody);
}

/** The fields that pick the origin: records of one route on two accounts' hosts must never meet, so they join the scope. */
export function originScopeFields(origin: Origin): FieldRef[] {
  return origin.kind === "template" ? origin.fields : [];
}

function hostAllowed(host: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => {
    if (!pattern.startsWith("*.")) return host === pattern;
    const suffix = pattern.slice(1);
    return host.endsWith(suffix) && !host.slice(0, -suffix.length).includes(".") && host.length > suffix.length;
  });
}

function fillTemplate(origin: Extract<Origin, { kind: "template" }>, fields: RequestFields): string | OriginRefusal {
  let i = 0;
  let refusal: OriginRefusal | undefined;
  const filled = origin.template.replace(PLACEHOLDER, () => {
    const ref = origin.fields[i++] as FieldRef;
    const value = fields.get(ref);
    if (refusal) return "";
    if (value === undefined || value === "") {
      refusal = { refused: true, detail: `the request lacks ${ref.text}, which names its origin`, field: ref.name };
    } else if (!PLAIN_VALUE.test(value)) {
      refusal = {
        refused: true,
        detail: `${ref.text} must be letters, digits, '-' or '_' (at most 63) to name an origin; got ${JSON.stringify(value.slice(0, 80))}`,
        field: ref.name,
      };
    }
    return value ?? "";
  });
  return refusal ?? filled;
}

/**
 * Where a request for `origin` goes: the origin's base URL followed by the
 * client's path and query as sent. A template origin is filled from the
 * request's fields, and the result must be a host the config allows; any
 * other request is refused, never sent.
 *
 * @throws FieldError when a placeholder's field is ambiguous (sent twice with different values).
 * @example
 * originTarget(erplyOrigin, fields, new URL("https://idem.example/api/?x=1"))
 * // { url: "https://104.erply.com/api/?x=1", credentials: [] }
 */
export function originTarget(origin: Origin, fields: RequestFields, url: URL): OriginTarget | OriginRefusal {
  const rest = `${url.pathname}${url.search}`;
  const { credentials } = origin;
  if (origin.kind === "url") return { url: `${origin.base}${rest}`, credentials };
  // A binding has no host of its own: the request keeps the one the client addressed.
  if (origin.kind === "service") return { url: `${url.origin}${rest}`, binding: origin.binding, credentials };
  const filled = fillTemplate(origin, fields);
  if (typeof filled !== "string") return filled;
  const host = new URL(filled).hostname.toLowerCase();
  if (!hostAllowed(host, origin.allowHosts)) {
    return { refused: true, detail: `the request names origin host ${host}, which allowHosts of origin "${origin.name}" does not allow` };
  }
  return { url: `${filled}${rest}`, credentials };
}
