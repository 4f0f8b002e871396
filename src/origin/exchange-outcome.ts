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
 * The failure for an error thrown during the exchange. Always `unknown`: the
 * runtime throws the same error whether the connection was refused or reset
 * after the request was sent (see the top of this file), and a timeout may
 * strike after the origin has acted.
 *
 * @example
 * failureOfThrown(new Error("Network connection lost."), { stage: "head", timedOut: false, timeoutMs: 30_000, bytesRead: 0 })
 * // { end: "unknown", kind: "origin-unreachable", detail: "the connection to the origin failed (Network connection lost.) …" }
 */
export function failureOfThrown(
  error: unknown,
  at: { stage: ExchangeStage; timedOut: boolean; timeoutMs: number; bytesRead: number },
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
  return {
    end: "unknown",
    kind: "origin-unreachable",
    detail: `the connection to the origin failed (${errorMessage(error)}); the runtime does not say whether the request was sent first`,
  };
}
