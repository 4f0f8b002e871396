import type { IdemConfig, Route } from "../model/config.ts";
import type { BatchExchange } from "../origin/batch-exchange.ts";
import type { OriginTarget } from "../origin/origins.ts";
import type { BatchCall, RequestPlan } from "../plan/plan.ts";
import type { BatchCallMessage, ReserveCall } from "../protocol/messages.ts";
import { canonicalJson } from "../request/canonical.ts";
import { originRequest } from "./origin-request.ts";

/** Erply's status block, as a single call's answer and a bulk answer's entries carry it. */
type Status = Record<string, unknown>;

/** One call's entry in a bulk answer: `{ status: { requestName, requestID, … }, records }`. */
export interface BatchEntry {
  status: Status;
  records: unknown;
}

const encoder = new TextEncoder();

/**
 * Whether a call must run at the origin with nothing to remember or wait for: such calls go on together, as a batch.
 *
 * @example
 * runsUnguarded({ type: "pass-through", candidates: [] }) // true
 */
export function runsUnguarded(plan: RequestPlan): boolean {
  return plan.type === "pass-through" || plan.type === "forward";
}

/**
 * A call's entry, from the answer the same call gets on its own (Erply's
 * `{ status: { request, … }, records }`): the status names the call by its
 * `requestName` and `requestID` instead. An answer that is not Erply's
 * envelope becomes an error entry carrying the HTTP status as its code.
 *
 * @example
 * entryFor(call, { status: { request: "savePayment", errorCode: 0 }, records: [{ paymentID: 7 }] })
 * // { status: { requestName: "savePayment", requestID: 3, errorCode: 0 }, records: [{ paymentID: 7 }] }
 */
export function entryFor(call: BatchCall, answer: unknown, httpStatus = 200): BatchEntry {
  const name = { requestName: call.request.name, requestID: call.request.id };
  if (answer === null || typeof answer !== "object" || !("status" in answer) || typeof answer.status !== "object" || answer.status === null) {
    return { status: { ...name, responseStatus: "error", errorCode: httpStatus }, records: null };
  }
  const { request: _name, ...status } = answer.status as Status;
  return { status: { ...name, ...status }, records: "records" in answer ? answer.records : null };
}

/**
 * Whether a call runs alone, through its document's object, between the
 * calls before it and those after: an edit or a delete of one document
 * waits its turn, which a bulk request cannot do for one of its calls.
 *
 * @example
 * isBarrier({ type: "guarded", … }) // true
 */
export function isBarrier(plan: RequestPlan): boolean {
  return plan.type === "guarded" || (plan.type === "keyed" && plan.document !== undefined);
}

/** A stretch of a bulk request's calls: one that runs alone, or calls that go to the origin together. */
export type Segment = { alone: BatchCall } | { together: BatchCall[] };

/**
 * A bulk request's calls in the client's order, cut at each call that runs alone.
 *
 * @example
 * segmentsOf([sale, getProducts, edit, payment]) // [{ together: [sale, getProducts] }, { alone: edit }, { together: [payment] }]
 */
export function segmentsOf(calls: readonly BatchCall[]): Segment[] {
  const segments: Segment[] = [];
  let together: BatchCall[] = [];
  for (const call of calls) {
    if (!isBarrier(call.plan)) {
      together.push(call);
      continue;
    }
    if (together.length > 0) segments.push({ together });
    together = [];
    segments.push({ alone: call });
  }
  if (together.length > 0) segments.push({ together });
  return segments;
}

/**
 * The bulk request for the origin, without its calls: the client's shared
 * parameters, and the head of the calls' own requests.
 *
 * @example
 * const bulk = batchExchangeOf(plan.target, config, route, first, plan.shared, "POST");
 */
export function batchExchangeOf(
  target: OriginTarget,
  config: IdemConfig,
  route: Route & { batch: NonNullable<Route["batch"]> },
  first: BatchCall,
  shared: [name: string, value: string][],
  method: string,
): BatchExchange {
  const head = new Request(first.request.url, { method, headers: first.request.headers });
  return {
    origin: originRequest(config, target, head, first.request.url, null),
    field: route.batch.field.name,
    shared,
    originTimeoutMs: config.originTimeoutMs,
    bufferLimit: route.maxStoredResponseBytes,
  };
}

/**
 * A call as the object running the bulk exchange gets it: as the client wrote it, with its record when it has one.
 *
 * @example
 * batchCallMessageOf(call, { protocol, id, fingerprint, policy }) // { name: "saveSalesDocument", id: 1, json: "{…}", record: { objectName, call } }
 */
export function batchCallMessageOf(call: BatchCall, record?: { objectName: string; call: ReserveCall }): BatchCallMessage {
  return { name: call.request.name, id: call.request.id, json: canonicalJson(call.request.raw), ...(record ? { record } : {}) };
}

/**
 * The bulk answer for the client: the origin's top-level status when it
 * answered some of the calls (else one written like it), and every call's
 * entry in the client's order.
 *
 * @example
 * batchAnswer(undefined, entries, startedAt) // { status: { request: "", responseStatus: "ok", … }, requests: entries }
 */
export function batchAnswer(status: Status | undefined, entries: readonly BatchEntry[], startedAt: number): Uint8Array {
  const top = status ?? {
    request: "",
    requestUnixTime: Math.floor(startedAt / 1000),
    responseStatus: "ok",
    errorCode: 0,
    generationTime: (Date.now() - startedAt) / 1000,
    recordsTotal: 0,
    recordsInResponse: 0,
  };
  return encoder.encode(JSON.stringify({ status: top, requests: entries }));
}
