/** Shorter admin tokens are refused: the admin API stays off rather than guessable. */
const MIN_ADMIN_TOKEN_LENGTH = 32;

/**
 * Admin tokens this repository has published (`.dev.vars.example`, then and
 * now): anyone can read them, so a Worker given one keeps its admin API off.
 * test/e2e/startup.e2e.test.ts checks that `.dev.vars.example`'s value is here.
 */
const PUBLISHED_ADMIN_TOKENS: ReadonlySet<string> = new Set([
  "local-dev-admin-token-change-me-0123456789",
  "replace-me-with-the-output-of-openssl-rand-hex-32",
]);

const encoder = new TextEncoder();

function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
}

/**
 * Why the admin API is off, or undefined when `ADMIN_TOKEN` enables it.
 *
 * @example
 * adminDisabledReason(undefined) // "the ADMIN_TOKEN secret is not set"
 */
export function adminDisabledReason(token: string | undefined): string | undefined {
  if (!token) return "the ADMIN_TOKEN secret is not set";
  if (token.length < MIN_ADMIN_TOKEN_LENGTH) {
    return `ADMIN_TOKEN is shorter than ${MIN_ADMIN_TOKEN_LENGTH} characters (make one with: openssl rand -hex 32)`;
  }
  if (PUBLISHED_ADMIN_TOKENS.has(token.trim())) {
    return "ADMIN_TOKEN is the example token this repository publishes, which anyone can read (make your own with: openssl rand -hex 32)";
  }
  return undefined;
}

/**
 * Whether an `Authorization` header carries `Bearer <token>`. Both sides are
 * hashed first and the digests compared with `crypto.subtle.timingSafeEqual`,
 * so neither the token's content nor its length shows in the response time.
 *
 * @example
 * await bearerMatches(request.headers.get("authorization"), env.ADMIN_TOKEN) // true or false
 */
export async function bearerMatches(authorization: string | null, token: string): Promise<boolean> {
  const presented = /^Bearer +(\S+) *$/i.exec(authorization ?? "")?.[1];
  const [given, expected] = await Promise.all([sha256(presented ?? ""), sha256(token)]);
  const equal = crypto.subtle.timingSafeEqual(given, expected);
  return equal && presented !== undefined;
}
