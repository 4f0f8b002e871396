import { forwardableResponseHeaders, type HeaderList, toHeaders } from "../http/headers.ts";
import { errorMessage } from "../util/error-message.ts";
import type { OriginFailure } from "./exchange.ts";

export interface StreamedResponse {
  ok: true;
  status: number;
  /** End-to-end headers for the client (Set-Cookie included). */
  headers: HeaderList;
  body: ReadableStream<Uint8Array> | null;
  originMs: number;
}

export interface StreamedRequest {
  url: string;
  method: string;
  headers: HeaderList;
  body: ReadableStream<Uint8Array> | Uint8Array | null;
}

/**
 * Forwards a request the gateway does not need to remember, streaming both
 * bodies. The timeout covers the wait for the origin's response headers; the
 * body then streams at the origin's pace.
 *
 * @example
 * const result = await streamThrough({ url, method, headers, body: request.body }, 30_000);
 */
export async function streamThrough(request: StreamedRequest, timeoutMs: number): Promise<StreamedResponse | OriginFailure> {
  const started = Date.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: toHeaders(request.headers),
      body: request.body,
      redirect: "manual",
      signal: controller.signal,
    });
    return {
      ok: true,
      status: response.status,
      headers: forwardableResponseHeaders(response.headers),
      body: response.body,
      originMs: Date.now() - started,
    };
  } catch (error) {
    const originMs = Date.now() - started;
    if (controller.signal.aborted) {
      return { ok: false, kind: "origin-timeout", detail: `the origin did not answer within ${timeoutMs} ms`, originMs };
    }
    return { ok: false, kind: "origin-unreachable", detail: `the origin could not be reached (${errorMessage(error)})`, originMs };
  } finally {
    clearTimeout(timer);
  }
}
