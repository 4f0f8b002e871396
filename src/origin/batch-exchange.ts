import { toUrlencoded } from "../request/form-pairs.ts";
import { exchange, type OriginFailure, type OriginRequest, type OriginResponse } from "./exchange.ts";
import type { SendBindings } from "./send.ts";

/** One call of a bulk request, as it is sent on: its name, its `requestID` and the call as the client wrote it. */
export interface SentBatchCall {
  /** `requestName`. */
  name: string;
  /** `requestID` as sent; the origin's entry for the call must echo it. */
  id: unknown;
  /** The call as the client wrote it, as JSON. */
  json: string;
}

/** The bulk request for the origin, without its calls: where it goes, its shared parameters, and the field the calls go in. */
export interface BatchExchange {
  /** Target, method and headers; the body is written from `shared` and the calls that are sent. */
  origin: OriginRequest;
  field: string;
  shared: [name: string, value: string][];
  originTimeoutMs: number;
  bufferLimit: number;
}

/** A bulk answer split by position: one entry per call sent, in the order sent, and the answer's top-level status. */
export interface BatchAnswered {
  ok: true;
  httpStatus: number;
  status?: Record<string, unknown>;
  entries: unknown[];
  originMs: number;
}

export type BatchResult = BatchAnswered | OriginFailure;

const encoder = new TextEncoder();

const statusOf = (entry: unknown): Record<string, unknown> | undefined =>
  entry !== null && typeof entry === "object" && "status" in entry && entry.status !== null && typeof entry.status === "object"
    ? (entry.status as Record<string, unknown>)
    : undefined;

/** `requestID`s compared as JSON values; an absent one equals an absent or null echo. */
const sameId = (echoed: unknown, sent: unknown) => JSON.stringify(echoed ?? null) === JSON.stringify(sent ?? null);

/**
 * The entries of a bulk answer, one per call in the order sent, or why the
 * answer cannot be split: it is not JSON, holds another number of entries,
 * or an entry's `status.requestID` is not its call's.
 */
function entriesOf(body: Uint8Array, calls: readonly SentBatchCall[]): { status?: Record<string, unknown>; entries: unknown[] } | string {
  let answer: unknown;
  try {
    answer = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return "is not JSON";
  }
  const entries = answer !== null && typeof answer === "object" && "requests" in answer ? answer.requests : undefined;
  if (!Array.isArray(entries)) return "holds no requests array";
  if (entries.length !== calls.length) return `holds ${entries.length} entries for ${calls.length} calls`;
  const stray = entries.findIndex((entry, i) => !sameId(statusOf(entry)?.requestID, calls[i]?.id));
  if (stray >= 0) return `names another requestID in entry ${stray + 1}`;
  return { status: statusOf(answer), entries };
}

/**
 * Sends calls to the origin as one bulk request (the shared parameters and
 * the calls as the client wrote them) and splits the answer by position.
 * An answer that cannot be split is a failure whose outcome is unknown: the
 * origin had the request, but which calls it ran cannot be told.
 *
 * @example
 * const result = await sendBatch(env, bulk, calls, batch.originTimeoutMs);
 * if (result.ok) result.entries[0] // { status: { requestName: "savePayment", requestID: 3, errorCode: 0 }, records: [...] }
 */
export async function sendBatch(env: SendBindings, batch: BatchExchange, calls: readonly SentBatchCall[], timeoutMs: number): Promise<BatchResult> {
  const requests = `[${calls.map((call) => call.json).join(",")}]`;
  const body = encoder.encode(toUrlencoded([...batch.shared, [batch.field, requests]]));
  const result = await exchange(env, { ...batch.origin, body }, timeoutMs, batch.bufferLimit);
  if (!result.ok) return result;
  const split = result.rest ? `passed ${batch.bufferLimit} bytes` : entriesOf(result.body, calls);
  if (typeof split === "string") {
    await result.rest?.cancel();
    return {
      ok: false,
      end: "unknown",
      kind: "origin-broken-response",
      detail: `the origin's answer to the bulk request (status ${result.status}) ${split}, so which of its calls ran cannot be told`,
      originMs: result.originMs,
    };
  }
  return { ok: true, httpStatus: result.status, ...split, originMs: result.originMs };
}

/**
 * A call's entry written back as the answer the same call gets alone
 * (Erply's `{ status: { request, … }, records }`), so that it is stored,
 * judged by `successWhen` and replayed exactly as a single call's.
 *
 * @example
 * callAnswer({ status: { requestName: "savePayment", requestID: 3, errorCode: 0 }, records: [] }, "savePayment", answered)
 * // body: {"status":{"request":"savePayment","errorCode":0},"records":[]}
 */
export function callAnswer(entry: unknown, name: string, batch: Pick<BatchAnswered, "httpStatus" | "originMs">): OriginResponse {
  const { requestName: _name, requestID: _id, ...status } = statusOf(entry) ?? {};
  const records = entry !== null && typeof entry === "object" && "records" in entry ? entry.records : null;
  const headers: [string, string][] = [["content-type", "application/json"]];
  const body = encoder.encode(JSON.stringify({ status: { request: name, ...status }, records }));
  return { ok: true, status: batch.httpStatus, headers, storableHeaders: headers, body, originMs: batch.originMs };
}
