/**
 * The spelling of a request path that routes are matched on. Origins'
 * routers differ in what they treat as one path: many ignore case, merge
 * `//` into `/`, or drop `;param` path parameters (servlet containers, Spring,
 * some Rails setups). A route that only matched the path as sent could be
 * walked round by a client that writes `/Orders`, `//orders` or
 * `/orders;x=1`, which such an origin still runs as `POST /orders`.
 * Node runs this file as is (type stripping only), so it has no enums.
 */

/** How route matching reads a path: `pathMatching` at the top of the config. Every option is off by default. */
export interface PathMatching {
  /** `/Orders` takes the `/orders` route. */
  caseInsensitive: boolean;
  /** `//orders//7` takes the `/orders/:id` route. */
  mergeSlashes: boolean;
  /** `/orders;jsessionid=1/7` takes the `/orders/:id` route. */
  stripParams: boolean;
}

/** The matching of routes as written, where only percent-escapes of unreserved characters are decoded. */
export const EXACT_PATHS: PathMatching = { caseInsensitive: false, mergeSlashes: false, stripParams: false };

/** Every spelling any origin router could take for the same path; what the admin prefix is recognised in. */
export const EVERY_SPELLING: PathMatching = { caseInsensitive: true, mergeSlashes: true, stripParams: true };

/** A percent-escape of an unreserved character (RFC 3986 §2.3: ALPHA, DIGIT, "-", ".", "_", "~"). */
const UNRESERVED_ESCAPE = /%(2[dDeE]|3[0-9]|[46][1-9a-fA-F]|[57][0-9aA]|5[fF]|7[eE])/g;

/**
 * The path routes are matched on. Percent-escapes of unreserved characters
 * are always decoded (`/%6frders` is `/orders`: RFC 3986 §6.2.2.2 makes them
 * the same URI, and an origin that decodes before routing sees `/orders`);
 * the rest is what `options` asks for. Case is left to the matcher, so path
 * parameters keep the client's spelling.
 *
 * @example
 * matchingPath("/%6Frders;v=1//7", EVERY_SPELLING) // "/orders/7"
 * matchingPath("/%6Frders;v=1//7", EXACT_PATHS) // "/orders;v=1//7"
 */
export function matchingPath(pathname: string, options: PathMatching): string {
  let path = pathname.replace(UNRESERVED_ESCAPE, (hex) => String.fromCharCode(Number.parseInt(hex.slice(1), 16)));
  if (options.stripParams) path = path.replace(/;[^/]*/g, "");
  if (options.mergeSlashes) path = path.replace(/\/{2,}/g, "/");
  return path;
}

/** `%2F` and `%5C`: an encoded slash or backslash, which many servers decode before routing. */
const ENCODED_SEPARATOR = /%2f|%5c/gi;

/**
 * Whether `pathname` is `prefix` or under it, in any spelling an origin
 * router could read as such (EVERY_SPELLING, and `%2F`/`%5C` as `/`): the
 * admin API answers all of them, so none reaches the origin.
 *
 * @example
 * isUnder("/__IDEM;x//records", "/__idem") // true
 * isUnder("/__idem%2fhealth", "/__idem")   // true
 */
export function isUnder(pathname: string, prefix: string): boolean {
  const path = matchingPath(pathname.replace(ENCODED_SEPARATOR, "/"), EVERY_SPELLING).toLowerCase();
  const base = prefix.toLowerCase();
  return path === base || path.startsWith(`${base}/`);
}
