import * as v from "valibot";

/**
 * How an Idem config names the back ends it fronts: the top-level `origin`
 * and the named `origins`. Each is a base URL, a table with a URL (possibly a
 * template filled from the request, with the hosts it may reach), or a service
 * binding to another Worker; any of them can carry headers whose values are
 * Worker secrets.
 */

/** `{param:clientCode}`: a field reference in braces, filled from the request (load.ts checks that it is one). */
export const PLACEHOLDER = /\{([^{}]*)\}/g;

const ORIGIN_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Worker binding and secret names (`PAYMENTS_ORIGIN_AUTH`, `CUSTOMERS`). */
const BINDING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** `api.example.com`, or `*.erply.com` where `*` stands for exactly one DNS label. */
const HOST_PATTERN = /^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

const withoutPlaceholders = (url: string) => url.replace(PLACEHOLDER, "x");

const baseUrl = v.pipe(
  v.string(),
  v.check((u) => URL.canParse(withoutPlaceholders(u)), "must be an absolute URL"),
  v.check((u) => /^https?:/i.test(u), "must be http:// or https://"),
  v.check((u) => !u.includes("?") && !u.includes("#"), "must not carry a query or fragment"),
);

const headerName = v.pipe(v.string(), v.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be a header name"));

/**
 * Headers added to the requests a route sends to this origin; each value is a Worker secret, named, never
 * written here. Requests no route takes (pass-through, to the top-level origin) get one only with
 * `passThrough = true`: an origin endpoint that echoes request headers (TRACE, a debug page) would hand the
 * secret to any client who finds it.
 */
const credentialHeaders = v.record(
  headerName,
  v.strictObject({
    /** The secret's name: `wrangler secret put <name>`. */
    secret: v.pipe(v.string(), v.regex(BINDING_NAME, "must be a secret's name, like PAYMENTS_ORIGIN_AUTH")),
    /** Also add it to requests no route takes (the top-level origin's pass-through). Default false. */
    passThrough: v.optional(v.boolean()),
  }),
);

const urlOrigin = v.strictObject({
  /** The base URL; `{field}` placeholders (e.g. `https://{param:clientCode}.erply.com/api`) are filled from each request. */
  url: baseUrl,
  /** For a URL with placeholders: the hosts it may reach (`*.erply.com`: any one label). Anything else gets 400. */
  allowHosts: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(), v.toLowerCase(), v.regex(HOST_PATTERN, 'must be a host name like "api.example.com" or "*.erply.com"'))),
      v.minLength(1),
    ),
  ),
  headers: v.optional(credentialHeaders),
});

const serviceOrigin = v.strictObject({
  /** A service binding to another Worker (`[[services]]` in wrangler.toml): no hostname, no network hop. */
  service: v.pipe(v.string(), v.regex(BINDING_NAME, "must be a binding's name, like CUSTOMERS")),
  headers: v.optional(credentialHeaders),
});

/** A base URL, or a table: `{ url, allowHosts?, headers? }` or `{ service, headers? }`. */
export const originSchema = v.union([baseUrl, urlOrigin, serviceOrigin]);

/** The named origins a route can choose (`origin = "payments"`). */
export const originsSchema = v.record(v.pipe(v.string(), v.regex(ORIGIN_NAME, "must be 1-64 letters, digits, '_' or '-'")), originSchema);

/** A route's choice among the named origins; without one, the top-level `origin`. */
export const originChoice = v.pipe(v.string(), v.regex(ORIGIN_NAME, "must name one of `origins`"));

export type ParsedOrigin = v.InferOutput<typeof originSchema>;
