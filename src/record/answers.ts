import type { GuardedResult } from "../protocol/messages.ts";
import { type ErrorResult, errorResult, exchangeFailed, unknownOutcome } from "../protocol/results.ts";
import type { FailureFate, Refusal } from "./rules.ts";

/**
 * What the client is told when the rules (rules.ts) answer from the record
 * instead of the origin.
 *
 * @example
 * refusalAnswer({ kind: "fingerprint-mismatch", expiresAt }) // 422 fingerprint-mismatch
 */
export function refusalAnswer(refusal: Refusal): ErrorResult {
  switch (refusal.kind) {
    case "in-progress": {
      const { retryAfterSeconds, singleUse } = refusal;
      const detail = singleUse
        ? `the first request with this key is still in progress${differing(singleUse.differs)}; this one was not forwarded`
        : "the first request with this key is still in progress; retry later";
      return errorResult("conflict", "in-progress", detail, { retryAfterSeconds });
    }
    case "fingerprint-mismatch":
      return errorResult("mismatch", "fingerprint-mismatch", "this key was first used for a different request (method, path, query or body differ)", {
        expiresAt: refusal.expiresAt,
      });
    case "key-already-used":
      return errorResult(
        "rejected",
        "key-already-used",
        `this key has already been used${differing(refusal.differs)}; send a new key for a new request`,
        {
          expiresAt: refusal.expiresAt,
        },
      );
    case "outcome-unknown":
      return unknownOutcome(refusal.failure, refusal.expiresAt, true);
    case "response-not-replayable":
      return errorResult(
        "not-replayable",
        "response-not-replayable",
        `the request with this key was executed (the origin answered ${refusal.originalStatus}), but its response was larger than the storage cap and cannot be replayed; do not retry, look the result up at the origin`,
        { members: { originalStatus: refusal.originalStatus }, expiresAt: refusal.expiresAt },
      );
  }
}

function differing(differs: boolean): string {
  return differs ? " (and this request differs from the first)" : "";
}

/**
 * What the client is told when a failed exchange released its key: what it
 * means for a retry with the same key.
 *
 * @example
 * releasedAnswer(failure, "never-began") // 502 origin-unreachable "…; the request did not reach the origin, so a retry with this key runs it"
 */
export function releasedAnswer(
  failure: Extract<GuardedResult, { ok: false }>,
  because: Extract<FailureFate, { do: "release" }>["because"],
): ErrorResult {
  if (because === "route-releases") {
    return exchangeFailed(
      failure,
      '. The origin may have acted on the request; this route releases its key all the same (onUnknownOutcome = "release"), so a retry with this key runs it again',
    );
  }
  return exchangeFailed(
    failure,
    failure.kind.startsWith("origin-") ? "; the request did not reach the origin, so a retry with this key runs it" : "",
  );
}
