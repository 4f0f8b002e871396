import { PLACEHOLDER } from "../config/origin-schema.ts";
import type { CredentialHeader, Origin } from "../model/config.ts";
import type { FieldRef } from "../request/field-ref.ts";
import type { RequestFields } from "../request/request-fields.ts";

/** Where one request goes: a URL, reached over the network or through a service binding. */
export interface OriginTarget {
  /** The origin's name (`origin` for the top-level one), for explanations and logs. */
  name: string;
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
 * // { name: "erply", url: "https://104.erply.com/api/?x=1", credentials: [] }
 */
export function originTarget(origin: Origin, fields: RequestFields, url: URL): OriginTarget | OriginRefusal {
  const rest = `${url.pathname}${url.search}`;
  const { name, credentials } = origin;
  if (origin.kind === "url") return { name, url: `${origin.base}${rest}`, credentials };
  // A binding has no host of its own: the request keeps the one the client addressed.
  if (origin.kind === "service") return { name, url: `${url.origin}${rest}`, binding: origin.binding, credentials };
  const filled = fillTemplate(origin, fields);
  if (typeof filled !== "string") return filled;
  // A value of digits as the host's last label reads as an IPv4 address, which may not parse (`09`, `999999999999`).
  const parsed = URL.parse(filled);
  if (!parsed) {
    const names = origin.fields.map((ref) => ref.text).join(", ");
    return { refused: true, detail: `${names} of the request make no valid URL of origin "${origin.name}"`, field: origin.fields[0]?.name };
  }
  const host = parsed.hostname.toLowerCase();
  if (!hostAllowed(host, origin.allowHosts)) {
    return { refused: true, detail: `the request names origin host ${host}, which allowHosts of origin "${origin.name}" does not allow` };
  }
  return { name, url: `${filled}${rest}`, credentials };
}
