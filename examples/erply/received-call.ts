import type { ReceivedRequest } from "../../demo/received-request.ts";

/** One call as the Erply-like origin's log (`GET /__demo/requests`) reports it. */
export interface ErplyCall extends ReceivedRequest {
  /** The `request` parameter: the API call's name. */
  call: string | null;
  /** Query and body parameters merged (the body wins). */
  params: Record<string, string>;
  /** The number of the HTTP request that carried the call (1, 2, …): the calls of one bulk request share it. */
  httpRequest: number;
  /** For a call inside a bulk request: the `seq` of the request's first call, and this call's place in it. */
  batch?: { request: number; index: number };
  /** When the origin sent its answer (set just before answering). */
  endedAt?: number;
}
