/**
 * How an exchange with the origin ended, decided in this one place:
 *
 * - `answered`: a complete response with a status a client can be given;
 * - `never-began`: the origin provably did not receive the request, so
 *   running it again cannot run it twice;
 * - `unknown`: the request may have reached the origin, but its full answer
 *   did not come back. The origin may have acted.
 *
 * What the runtime lets Idem see (measured on workerd 2026-11-17, see
 * docs/faults.md, "How an exchange ends"): a refused connection, a server
 * that reads the request and resets, and one that closes without answering
 * all make `fetch()` throw the same `Error: Network connection lost.`; a body
 * that breaks off throws the same from the body's reader. Nothing in the
 * error tells a refusal from a reset after the request was sent, so a thrown
 * `fetch()` is `unknown`: the safe class. In production, an origin behind
 * Cloudflare often reports its failures as a 52x status instead, and most of
 * those say which side of the request they happened on.
 *
 * Some answers are not the origin's at all, but the platform's, saying it
 * sent nothing: Cloudflare's 530 with a 1xxx code (it could not resolve or
 * route to the origin), and, in local development, wrangler's 503 for a
 * service binding whose Worker is not running. Those are `never-began` too.
 */

import { errorMessage } from "../util/error-message.ts";

/** How an exchange ended. */
export type ExchangeEnd = "answered" | "never-began" | "unknown";

/** The error kinds an origin failure is reported as. */
export type OriginFailureKind = "origin-timeout" | "origin-unreachable" | "origin-broken-response" | "origin-invalid-status";

/** An exchange that did not end in an answer Idem can hand on or store. */
export interface ExchangeFailure {
  end: Exclude<ExchangeEnd, "answered">;
  kind: OriginFailureKind;
  detail: string;
  /** The status that came back instead of an answer (a 52x, or one outside 200–599). */
  originStatus?: number;
}

/** Where in the exchange something was thrown: before the response's head arrived, or while reading its body. */
type ExchangeStage = "head" | "body";

/** Where the request went: a URL over the network, or a service binding to another Worker (`binding` set). */
export interface ExchangeTarget {
  url: string;
  binding?: string;
}

/**
 * Statuses Cloudflare answers with for an origin behind it when the origin
 * failed (developers.cloudflare.com/support/troubleshooting/http-status-codes/
 * cloudflare-5xx-errors/, read 2026-12-01). 521, 523, 525 and 526 happen
 * before the request is sent: the connection was refused, no route led to
 * the origin, or TLS failed during the handshake. 520 means the origin's
 * answer was empty, malformed or reset, so it had the request; 524 means it
 * had the request and did not answer in time. 522 is `unknown` too: besides
 * a TCP connect timeout, Cloudflare documents it for a connection that was
 * established and a request the origin did not acknowledge within 90 s,
 * which a server can have received and acted on (its acknowledgements lost
 * on the way back).
 */
const CLOUDFLARE_STATUSES: ReadonlyMap<number, Omit<ExchangeFailure, "originStatus">> = new Map([
  [
    520,
    {
      end: "unknown",
      kind: "origin-broken-response",
      detail: "Cloudflare reports that the origin's answer was empty, malformed or cut off (520)",
    },
  ],
  [521, { end: "never-began", kind: "origin-unreachable", detail: "Cloudflare reports that the origin refused the connection (521)" }],
  [
    522,
    {
      end: "unknown",
      kind: "origin-timeout",
      detail: "Cloudflare timed out contacting the origin (522): either connecting, or waiting for the origin to acknowledge the request",
    },
  ],
  [523, { end: "never-began", kind: "origin-unreachable", detail: "Cloudflare reports that the origin is unreachable (523)" }],
  [524, { end: "unknown", kind: "origin-timeout", detail: "Cloudflare reached the origin, but the origin did not answer in time (524)" }],
  [525, { end: "never-began", kind: "origin-unreachable", detail: "the TLS handshake between Cloudflare and the origin failed (525)" }],
  [526, { end: "never-began", kind: "origin-unreachable", detail: "Cloudflare could not validate the origin's TLS certificate (526)" }],
]);

/**
 * The failure an origin's status stands for, when it cannot be handed on: a
 * status outside 200–599 (the runtime's `Response` refuses it, and no client
 * would know what it means). The origin had the request, so it is `unknown`.
 *
 * @example
 * invalidStatus(201) // undefined
 * invalidStatus(999) // { end: "unknown", kind: "origin-invalid-status", originStatus: 999, … }
 */
export function invalidStatus(status: number): ExchangeFailure | undefined {
  if (status >= 200 && status <= 599) return undefined;
  return {
    end: "unknown",
    kind: "origin-invalid-status",
    detail: `the origin answered with status ${status}, which is not an HTTP status a client can be given (200-599)`,
    originStatus: status,
  };
}

/**
 * The failure an origin's status stands for in an exchange Idem records: an
 * invalid status, or a 52x that Cloudflare answers with for a failed origin
 * behind it. `undefined` when the status is an answer. (A pass-through hands
 * 52x statuses on as they came, and only checks `invalidStatus`.)
 *
 * @example
 * failureOfStatus(201) // undefined: an answer
 * failureOfStatus(521) // { end: "never-began", kind: "origin-unreachable", originStatus: 521, … }
 * failureOfStatus(524) // { end: "unknown", kind: "origin-timeout", originStatus: 524, … }
 */
export function failureOfStatus(status: number): ExchangeFailure | undefined {
  const reported = CLOUDFLARE_STATUSES.get(status);
  return invalidStatus(status) ?? (reported && { ...reported, originStatus: status });
}

/**
 * Cloudflare's 1xxx errors that say it sent nothing to the origin: it could
 * not resolve the origin's name, found no host or tunnel to send to, or
 * halted the request before proxying it. A Worker's subrequest gets them
 * with status 530 and `error code: 1016` as its body (Cloudflare's JSON
 * error format writes `"error_code": 1016`). Read 2026-12-06 from
 * developers.cloudflare.com/support/troubleshooting/http-status-codes/
 * cloudflare-1xxx-errors/ (one page per code) and its Workers known issue
 * "Fetch API in CNAME setup" (530 with 1016). The Workers runtime's own
 * codes (1101, 1102, 1019, 1042 …) are left out: a Worker in front of the
 * origin ran, and may have acted.
 */
const CLOUDFLARE_NOTHING_SENT: ReadonlyMap<number, string> = new Map([
  [1000, "its DNS record points to a prohibited IP"],
  [1001, "a DNS resolution error"],
  [1002, "its DNS record points to a prohibited IP"],
  [1004, "the host is not configured to serve web traffic"],
  [1014, "a CNAME across Cloudflare accounts is not allowed"],
  [1016, "an origin DNS error: its address could not be resolved"],
  [1018, "the host could not be found"],
  [1023, "the host could not be found"],
  [1033, "its Cloudflare Tunnel could not be reached"],
]);

/** `error code: 1016` (a subrequest's plain-text body) or `"error_code": 1016` (Cloudflare's JSON errors). */
const CLOUDFLARE_ERROR_CODE = /error[ _]code"?\s*:\s*(1\d{3})\b/i;

/**
 * Miniflare's answer (wrangler dev, miniflare 5.20261117, `ExternalServiceProxy`
 * in src/workers/core/dev-registry-proxy.worker.ts) when a service binding's
 * Worker is not running locally: 503, and a text naming the service. The
 * request went nowhere.
 */
const WORKER_NOT_RUNNING = /^Worker "[^"]*" (not found\. Make sure it is running locally\.|is not compatible with this version of the dev server\.)/;

/** An answer's first bytes are enough to read a platform's error text. */
const ERROR_TEXT_BYTES = 512;

/**
 * The failure an answer stands for when it is the platform's and not the
 * origin's, saying nothing was sent: Cloudflare's 530 with one of the 1xxx
 * codes above (a URL origin), or wrangler's 503 for a bound Worker that is
 * not running (a service-binding origin). `undefined` for any other answer,
 * which stays the origin's.
 *
 * @example
 * failureOfAnswer({ url }, 530, encode("error code: 1016")) // { end: "never-began", kind: "origin-unreachable", originStatus: 530, … }
 * failureOfAnswer({ url, binding: "ORDERS" }, 503, encode('Worker "orders" not found. Make sure it is running locally.')) // never-began
 * failureOfAnswer({ url }, 530, encode("error code: 1101")) // undefined: a Worker ran
 */
export function failureOfAnswer(target: ExchangeTarget, status: number, body: Uint8Array): ExchangeFailure | undefined {
  const expected = target.binding === undefined ? 530 : 503;
  if (status !== expected) return undefined;
  const text = new TextDecoder().decode(body.subarray(0, ERROR_TEXT_BYTES)).trim();
  if (target.binding !== undefined) {
    if (!WORKER_NOT_RUNNING.test(text)) return undefined;
    return {
      end: "never-began",
      kind: "origin-unreachable",
      detail: `the service binding ${target.binding} reaches no running Worker (${text})`,
      originStatus: status,
    };
  }
  const code = Number(CLOUDFLARE_ERROR_CODE.exec(text)?.[1]);
  const meaning = CLOUDFLARE_NOTHING_SENT.get(code);
  if (meaning === undefined) return undefined;
  return {
    end: "never-began",
    kind: "origin-unreachable",
    detail: `Cloudflare sent nothing to the origin: error ${code}, ${meaning} (530)`,
    originStatus: status,
  };
}

/**
 * What workerd throws (measured on workerd 1.20261117.1, 2026-12-06) when its
 * network layer fails before a connection exists: a DNS lookup that failed,
 * or a TLS handshake. Failures once connected (refused, reset, closed,
 * garbage instead of HTTP) throw `Network connection lost.` instead
 * (test/faults/runtime-errors.test.ts).
 */
const BEFORE_CONNECTING = /^internal error; reference = /;

/**
 * The failure for an error thrown during the exchange. `unknown`, except
 * one case: the runtime throws the same error whether the connection was
 * refused or reset after the request was sent (see the top of this file),
 * and a timeout may strike after the origin has acted. The exception is a
 * plain-HTTP URL whose head failed with workerd's internal error: on plain
 * HTTP the only step that throws it is the DNS lookup, before any
 * connection (over HTTPS a TLS failure throws it too, and TLS can fail after
 * the request was written, so HTTPS stays `unknown`).
 *
 * @example
 * failureOfThrown(new Error("Network connection lost."), { stage: "head", timedOut: false, timeoutMs: 30_000, bytesRead: 0, target: { url } })
 * // { end: "unknown", kind: "origin-unreachable", detail: "the connection to the origin failed (Network connection lost.) …" }
 */
export function failureOfThrown(
  error: unknown,
  at: { stage: ExchangeStage; timedOut: boolean; timeoutMs: number; bytesRead: number; target: ExchangeTarget },
): ExchangeFailure {
  if (at.timedOut) {
    const what = at.stage === "head" ? "did not answer" : "did not finish its response";
    return { end: "unknown", kind: "origin-timeout", detail: `the origin ${what} within ${at.timeoutMs} ms` };
  }
  if (at.stage === "body") {
    return {
      end: "unknown",
      kind: "origin-broken-response",
      detail: `the origin's response body broke off after ${at.bytesRead} bytes (${errorMessage(error)})`,
    };
  }
  const plainHttp = at.target.binding === undefined && at.target.url.toLowerCase().startsWith("http:");
  if (plainHttp && BEFORE_CONNECTING.test(errorMessage(error))) {
    return {
      end: "never-began",
      kind: "origin-unreachable",
      detail: `the origin's host name could not be resolved (${errorMessage(error)}), so nothing was sent`,
    };
  }
  return {
    end: "unknown",
    kind: "origin-unreachable",
    detail: `the connection to the origin failed (${errorMessage(error)}); the runtime does not say whether the request was sent first`,
  };
}
