/** Hop-by-hop headers (RFC 9110 §7.6.1) are about one connection: never forwarded nor stored. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Framing headers that the runtime recomputes for the bytes it actually sends. */
export const FRAMING: ReadonlySet<string> = new Set(["content-length", "host"]);

/** Header pairs, as stored and sent over RPC. Order is kept; repeated names stay repeated. */
export type HeaderList = [name: string, value: string][];

/**
 * A HeaderList as a Headers object, for fetch() and Response. Built with
 * append() on purpose: workerd turns an array of pairs into Headers through
 * the JS iterator protocol, which measured about 4× the cost of an append
 * loop (callgrind, 6 headers: 163k vs 41k instructions).
 *
 * @example
 * new Response(body, { status: 201, headers: toHeaders([["content-type", "application/json"]]) })
 */
export function toHeaders(list: HeaderList): Headers {
  const headers = new Headers();
  for (const [name, value] of list) headers.append(name, value);
  return headers;
}

/** Where chosen headers go, as they are found: a HeaderList (for RPC and storage) or a Headers (for fetch and Response). */
export type HeaderSink = (name: string, value: string) => void;

/**
 * A sink that pushes onto a HeaderList.
 *
 * @example
 * const list: HeaderList = [];
 * forwardableRequestHeaders(request.headers, pushTo(list));
 */
export function pushTo(list: HeaderList): HeaderSink {
  return (name, value) => {
    list.push([name, value]);
  };
}

const NO_TOKENS: ReadonlySet<string> = new Set();

function connectionTokens(headers: Headers): ReadonlySet<string> {
  const value = headers.get("connection");
  return value ? new Set(value.split(",").map((t) => t.trim().toLowerCase())) : NO_TOKENS;
}

/**
 * Hands every end-to-end header to `add`, in one pass over `headers`: each
 * copy of a header list measured about as much as the fetch() it feeds
 * (workerd iterates Headers through the JS iterator protocol), so the
 * headers go straight where they are used.
 */
function endToEnd(headers: Headers, drop: (name: string) => boolean, add: HeaderSink): void {
  const named = connectionTokens(headers);
  for (const [name, value] of headers) {
    if (HOP_BY_HOP.has(name) || FRAMING.has(name) || named.has(name) || drop(name)) continue;
    add(name, value);
  }
}

/** A header name as RFC 9110 allows it (a token); a Connection header may list anything else, which names no header. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * A copy of `headers` with the end-to-end ones only: the runtime copies a
 * Headers object natively, and deleting the few hop-by-hop names costs less
 * than one pass of the JS iterator over them (callgrind; see
 * docs/benchmarks.md, "Profiling"). Set-Cookie stays as it came.
 *
 * @example
 * const outgoing = endToEndCopy(request.headers); // no Connection, Keep-Alive, Host, Content-Length…
 */
export function endToEndCopy(headers: Headers): Headers {
  const copy = new Headers(headers);
  const named = headers.get("connection");
  if (named) {
    for (const token of named.split(",")) {
      const name = token.trim();
      if (TOKEN.test(name)) copy.delete(name);
    }
  }
  for (const name of HOP_BY_HOP) copy.delete(name);
  for (const name of FRAMING) copy.delete(name);
  return copy;
}

/**
 * Hands the headers of a client request that go on to the origin to `add`,
 * except those `skip` names (headers the caller sets itself).
 *
 * @example
 * forwardableRequestHeaders(request.headers, pushTo(list)) // list: [["content-type", "application/json"], ["authorization", "…"]]
 */
export function forwardableRequestHeaders(headers: Headers, add: HeaderSink, skip: ReadonlySet<string> = NO_TOKENS): void {
  endToEnd(headers, (name) => skip.has(name), add);
}

/** Response headers that belong to one attempt: never stored, so never replayed. */
const PER_ATTEMPT = new Set([
  // A replayed cookie would hand out a session the origin created for another attempt.
  "set-cookie",
  // The first attempt's timings would pass for the replay's; Idem adds the replay's own.
  "server-timing",
]);

const isSetCookie = (name: string) => name === "set-cookie";

/**
 * The headers of a response that Idem stores for replay: end-to-end headers
 * without Set-Cookie and Server-Timing (see docs/behaviour.md, "What is stored").
 *
 * @example
 * storableResponseHeaders(new Headers({ "content-type": "application/json", "set-cookie": "a=1" })) // [["content-type", "application/json"]]
 */
export function storableResponseHeaders(headers: Headers): HeaderList {
  const list: HeaderList = [];
  endToEnd(headers, (name) => isSetCookie(name) || PER_ATTEMPT.has(name), pushTo(list));
  return list;
}

/**
 * The headers of an origin response in one pass: those passed to the client
 * that caused it (Set-Cookie included), and those Idem stores for replay
 * (end-to-end headers without Set-Cookie and Server-Timing; see docs/behaviour.md,
 * "What is stored").
 *
 * @example
 * const { forwardable, storable } = responseHeaderLists(response.headers);
 */
export function responseHeaderLists(headers: Headers): { forwardable: HeaderList; storable: HeaderList } {
  const forwardable: HeaderList = [];
  const storable: HeaderList = [];
  endToEnd(headers, isSetCookie, (name, value) => {
    forwardable.push([name, value]);
    if (!PER_ATTEMPT.has(name)) storable.push([name, value]);
  });
  for (const cookie of headers.getSetCookie()) forwardable.push(["set-cookie", cookie]);
  return { forwardable, storable };
}
