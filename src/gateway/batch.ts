import type { IdemConfig, Route } from "../config/resolve.ts";
import { exchange } from "../origin/exchange.ts";
import type { OriginTarget } from "../origin/origins.ts";
import type { SendBindings } from "../origin/send.ts";
import type { BatchCall, RequestPlan } from "../plan/plan.ts";
import { canonicalJson } from "../request/canonical.ts";
import { toUrlencoded } from "../request/form-pairs.ts";
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
 * Sends calls that need no guard to the origin as one bulk request: the
 * client's shared parameters, and these calls as the client wrote them. The
 * answer's entries are taken in order; an answer that is not a bulk answer
 * with one entry per call gives each call an error entry.
 *
 * @example
 * const { entries, status } = await forwardTogether(env, plan.target, config, route, calls, shared, method);
 */
export async function forwardTogether(
  env: SendBindings,
  target: OriginTarget,
  config: IdemConfig,
  route: Route & { batch: NonNullable<Route["batch"]> },
  calls: readonly BatchCall[],
  shared: readonly (readonly [string, string])[],
  method: string,
): Promise<{ entries: BatchEntry[]; status?: Status; originMs?: number; failure?: { kind: string; detail: string } }> {
  const [first] = calls;
  if (!first) return { entries: [] };
  const requests = `[${calls.map((c) => canonicalJson(c.request.raw)).join(",")}]`;
  const body = encoder.encode(toUrlencoded([...shared, [route.batch.field.name, requests]]));
  const request = new Request(first.request.url, { method, headers: first.request.headers, body });
  const origin = originRequest(target, request, first.request.url, body);
  const result = await exchange(env, origin, config.originTimeoutMs, route.maxStoredResponseBytes);
  if (!result.ok) return { entries: [], originMs: result.originMs, failure: { kind: result.kind, detail: result.detail } };
  let answer: unknown;
  try {
    answer = result.rest ? undefined : JSON.parse(new TextDecoder().decode(result.body));
  } catch {
    answer = undefined;
  }
  const entries = answer !== null && typeof answer === "object" && "requests" in answer && Array.isArray(answer.requests) ? answer.requests : [];
  if (entries.length !== calls.length) {
    return { entries: calls.map((call) => entryFor(call, undefined, result.status)), originMs: result.originMs };
  }
  const status = (answer as { status?: Status }).status;
  return { entries: entries.map((entry, i) => entryFor(calls[i] as BatchCall, entry, result.status)), status, originMs: result.originMs };
}

/**
 * The bulk answer for the client: the origin's top-level status when it
 * answered some of the calls (else one written like it), and every call's
 * entry in the client's order.
 *
 * @example
 * bulkAnswer(undefined, entries, startedAt) // { status: { request: "", responseStatus: "ok", … }, requests: entries }
 */
export function bulkAnswer(status: Status | undefined, entries: readonly BatchEntry[], startedAt: number): Uint8Array {
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
