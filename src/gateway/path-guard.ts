/**
 * Whether a request path would mean something else once an origin decodes it:
 * an encoded dot-segment (`%2e%2e`, `..%2f`), a backslash, or a broken
 * percent-escape. Routes are matched on the path as sent, so such a path could
 * slip past a route's policy; Idem refuses it (400 `ambiguous-path`).
 *
 * @example
 * isAmbiguousPath("/orders/%2e%2e/admin") // true
 * isAmbiguousPath("/orders/a%2Fb")        // false: an encoded slash inside one segment is kept
 */
export function isAmbiguousPath(pathname: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return true;
  }
  if (decoded.includes("\\") || /[\x00-\x1f\x7f]/.test(decoded)) return true;
  return decoded.split("/").some((segment) => segment === "." || segment === "..");
}
