import { type HeaderList, responseHeaderLists, toHeaders } from "../http/headers.ts";
import { concatBytes } from "../util/bytes.ts";
import { type ExchangeFailure, failureOfAnswer, failureOfStatus, failureOfThrown } from "./exchange-outcome.ts";
import { type SendBindings, type SendTarget, sendToOrigin } from "./send.ts";

/** A request for the origin, in a form that crosses Durable Object RPC: where it goes (URL, binding, credential names) and what it is. */
export interface OriginRequest extends SendTarget {
  method: string;
  headers: HeaderList;
  body: Uint8Array | null;
}

/** An exchange that ended without an answer; `end` says whether the origin may have acted (see exchange-outcome.ts). */
export interface OriginFailure extends ExchangeFailure {
  ok: false;
  originMs: number;
}

export interface OriginResponse {
  ok: true;
  status: number;
  /** Headers for the client that caused the request (Set-Cookie included). */
  headers: HeaderList;
  /** Headers fit to store and replay (no Set-Cookie). */
  storableHeaders: HeaderList;
  /** The whole body when it fit in `bufferLimit`; otherwise the first bytes. */
  body: Uint8Array;
  /** Set when the body passed `bufferLimit`: the rest, still streaming. */
  rest?: ReadableStream<Uint8Array>;
  originMs: number;
}

export type OriginResult = OriginResponse | OriginFailure;

/**
 * `head` (when given) followed by whatever `reader` still yields. A read that
 * fails errors the stream, so the client sees the break instead of the
 * runtime reporting an unhandled rejection.
 */
function continuing(reader: ReadableStreamDefaultReader<Uint8Array>, head?: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      if (head) controller.enqueue(head);
    },
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        controller.error(error);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

/**
 * The whole body of an origin response: the buffered bytes, or those bytes
 * followed by the rest of the stream when the body passed the buffer limit.
 *
 * @example
 * new Response(fullBody(result), { status: result.status, headers: result.headers })
 */
export function fullBody(response: OriginResponse): Uint8Array | ReadableStream<Uint8Array> {
  return response.rest ? continuing(response.rest.getReader(), response.body) : response.body;
}

function failure(failed: ExchangeFailure, started: number): OriginFailure {
  return { ok: false, ...failed, originMs: Date.now() - started };
}

/**
 * Sends one request to the origin and reads its response, within
 * `timeoutMs` for the whole exchange. The body is buffered up to
 * `bufferLimit` bytes; past that the caller gets the first bytes plus the
 * remaining stream. Redirects are returned, not followed.
 *
 * A response whose body breaks off is a failure (`origin-broken-response`),
 * never a short body: nothing partial is ever stored or replayed. A status
 * outside 200–599, a 52x with which Cloudflare reports a failed origin, or
 * the platform's answer that it sent nothing (`failureOfAnswer`), is a
 * failure too; each failure says how the exchange ended (`end`).
 *
 * @example
 * const result = await exchange(env, { url, method: "POST", headers, body }, 30_000, 10 * 1024 * 1024);
 * if (!result.ok) return errorResponse({ kind: result.kind, detail: result.detail });
 */
export async function exchange(bindings: SendBindings, request: OriginRequest, timeoutMs: number, bufferLimit: number): Promise<OriginResult> {
  const started = Date.now();
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await sendToOrigin(bindings, request, {
      method: request.method,
      headers: toHeaders(request.headers),
      body: request.body,
      redirect: "manual",
      signal,
    });
  } catch (error) {
    return failure(failureOfThrown(error, { stage: "head", timedOut: signal.aborted, timeoutMs, bytesRead: 0, target: request }), started);
  }
  const failed = failureOfStatus(response.status);
  if (failed) {
    await response.body?.cancel();
    return failure(failed, started);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const answered = (body: Uint8Array, rest?: ReadableStream<Uint8Array>): OriginResponse => {
    const { forwardable, storable } = responseHeaderLists(response.headers);
    return {
      ok: true,
      status: response.status,
      headers: forwardable,
      storableHeaders: storable,
      body,
      rest,
      originMs: Date.now() - started,
    };
  };
  const reader = response.body?.getReader();
  try {
    while (reader) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
      if (size > bufferLimit) return answered(concatBytes(chunks, size), continuing(reader));
    }
  } catch (error) {
    return failure(failureOfThrown(error, { stage: "body", timedOut: signal.aborted, timeoutMs, bytesRead: size, target: request }), started);
  }
  const body = concatBytes(chunks, size);
  const unsent = failureOfAnswer(request, response.status, body);
  return unsent ? failure(unsent, started) : answered(body);
}
