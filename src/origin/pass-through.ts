import { endToEndCopy } from "../http/headers.ts";
import type { OriginFailure } from "./exchange.ts";
import { failureOfThrown, invalidStatus } from "./exchange-outcome.ts";
import { type SendBindings, type SendTarget, sendToOrigin } from "./send.ts";

export interface StreamedResponse {
  ok: true;
  status: number;
  /** End-to-end headers for the client (Set-Cookie included). */
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
  originMs: number;
}

export interface StreamedRequest extends SendTarget {
  method: string;
  headers: Headers;
  body: ReadableStream<Uint8Array> | Uint8Array | null;
}

/** Methods whose requests carry no body: the runtime's `fetch()` refuses one, so it is dropped (docs/behaviour.md, rule 1). */
const BODILESS_METHODS = new Set(["GET", "HEAD"]);

/**
 * Forwards a request the gateway does not need to remember, streaming both
 * bodies. The timeout covers the wait for the origin's response headers; the
 * body then streams at the origin's pace. Statuses go on as they came (52x
 * included), except one outside 200–599, which no client could be given.
 *
 * @example
 * const result = await streamThrough(env, { url, method, headers, body: request.body }, 30_000);
 */
export async function streamThrough(bindings: SendBindings, request: StreamedRequest, timeoutMs: number): Promise<StreamedResponse | OriginFailure> {
  const started = Date.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await sendToOrigin(bindings, request, {
      method: request.method,
      headers: request.headers,
      body: BODILESS_METHODS.has(request.method) ? null : request.body,
      redirect: "manual",
      signal: controller.signal,
    });
    const invalid = invalidStatus(response.status);
    if (invalid) {
      await response.body?.cancel();
      return { ok: false, ...invalid, originMs: Date.now() - started };
    }
    return {
      ok: true,
      status: response.status,
      headers: endToEndCopy(response.headers),
      body: response.body,
      originMs: Date.now() - started,
    };
  } catch (error) {
    const failed = failureOfThrown(error, { stage: "head", timedOut: controller.signal.aborted, timeoutMs, bytesRead: 0, target: request });
    return { ok: false, ...failed, originMs: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}
