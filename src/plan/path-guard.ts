/** What an ambiguous path must hold: an escape, a backslash, a path parameter, or a control character. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is part of this check.
const SUSPECT = /[%\\;\x00-\x1f\x7f]/;

/**
 * Whether a request path would mean something else once an origin decodes it:
 * an encoded dot-segment (`..%2f`), a dot-segment with a path parameter
 * (`..;`, which servlet containers read as `..`), a backslash, a control
 * character, or a broken percent-escape. Routes are matched on the path as
 * sent, so such a path could slip past a route's policy; Idem refuses it (400
 * `ambiguous-path`). Plain `%2e%2e` segments never get here: the URL parser
 * has already resolved them, for Idem and the origin alike.
 *
 * @example
 * isAmbiguousPath("/orders/..%2fadmin")  // true
 * isAmbiguousPath("/orders/..;/admin")   // true
 * isAmbiguousPath("/orders/a%2Fb")       // false: an encoded slash inside one segment is kept
 */
export function isAmbiguousPath(pathname: string): boolean {
  // Nearly every path holds none of these, and without them there is nothing to decode: the URL parser has
  // resolved its dot-segments and percent-encoded its control characters (and turned backslashes into slashes).
  if (!SUSPECT.test(pathname)) return false;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return true;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this check's purpose.
  if (decoded.includes("\\") || /[\x00-\x1f\x7f]/.test(decoded)) return true;
  return decoded.split("/").some((segment) => {
    const name = segment.split(";")[0];
    return name === "." || name === "..";
  });
}
