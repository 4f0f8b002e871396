import type { Env } from "../env.ts";
import type { Placement } from "../model/config.ts";
import { type BatchResult, callAnswer, sendBatch } from "../origin/batch-exchange.ts";
import type { BatchCallMessage, BatchRunCall, Reservation, ReserveCall } from "../protocol/messages.ts";
import {
  type BatchCallResult,
  type BatchRunResult,
  coordinatorUnavailable,
  type ErrorResult,
  errorResult,
  type GatewayResult,
} from "../protocol/results.ts";
import type { KeyObjectRpc } from "../protocol/rpc.ts";
import { errorMessage } from "../util/error-message.ts";
import { keyObject, olderKeyObject } from "./stubs.ts";

/** What the runner asks of the KeyObject holding a call's record: the runner itself, or another over RPC. */
export type RecordHolder = Pick<KeyObjectRpc, "reserve" | "complete" | "fail">;

/**
 * The holders of records by KeyObject name: stubs, except `self` (the
 * runner), whose records are reserved without an RPC.
 *
 * @example
 * runBatch(env, call, recordHolders(env, call.placement, { name: call.runner, object: this }));
 */
export function recordHolders(env: Env, placement: Placement, self?: { name: string; object: RecordHolder }): (objectName: string) => RecordHolder {
  return (name) => (name === self?.name ? self.object : keyObject(env, name, placement));
}

interface Reserved {
  holder: RecordHolder;
  call: ReserveCall;
  reservation: Reservation;
}

/** The result for a call whose holder could not be reached: an object of the previous version, or one lost mid-call. */
function unreachable(error: unknown, what: string): ErrorResult {
  return (
    olderKeyObject(error) ??
    coordinatorUnavailable(`the idempotency record could not be reached (${errorMessage(error)}); ${what}, retry with the same key`)
  );
}

async function reserveIn(holder: RecordHolder, call: ReserveCall): Promise<GatewayResult | Reserved> {
  try {
    const reserved = await holder.reserve(call);
    return "reserved" in reserved ? { holder, call, reservation: reserved } : reserved;
  } catch (error) {
    return unreachable(error, "this call was not sent, but its record may stay in flight until its lock runs out");
  }
}

/** Ends a reservation with the call's entry of the bulk answer, or with the exchange's failure. */
async function settle(reserved: Reserved, name: string, answer: BatchResult, entry: unknown): Promise<GatewayResult> {
  const { holder, call, reservation } = reserved;
  try {
    return answer.ok ? await holder.complete(call, reservation, callAnswer(entry, name, answer)) : await holder.fail(call, reservation, answer);
  } catch (error) {
    return unreachable(error, "the call was sent, but its answer may not be remembered");
  }
}

/**
 * Runs calls of a bulk request as one bulk exchange: in the client's order,
 * each call with a record reserves it where it lives (`holderOf`), and gets
 * the answer `decide` would give (a replay, 1206, …) instead when it is not
 * new. The calls without record and the reserved ones then go to the origin
 * in one bulk request; each reservation is completed with its entry, or
 * failed when the answer cannot be split by position. The bulk request ends
 * no later than a single call reserved first would have, so that no lock
 * runs out while its call is at the origin.
 *
 * @example
 * const { results } = await runBatch(env, call, (name) => keyObject(env, name, call.placement));
 */
export async function runBatch(env: Env, run: BatchRunCall, holderOf: (objectName: string) => RecordHolder): Promise<BatchRunResult> {
  const results: (BatchCallResult | undefined)[] = [];
  const reserved = new Map<BatchCallMessage, Reserved>();
  const ids = new Set<string>();
  for (const [i, call] of run.calls.entries()) {
    if (!call.record) continue;
    // A second call with an earlier call's record would wait for a reservation that ends only after the bulk
    // request it is waiting to join: it is answered at once, as a copy arriving while the first is in flight.
    if (ids.has(call.record.call.id)) {
      results[i] = errorResult(
        "conflict",
        "in-progress",
        "an earlier call of this bulk request has the same key or content; it is answered in that call's entry",
        {
          retryAfterSeconds: 1,
        },
      );
      continue;
    }
    ids.add(call.record.call.id);
    const outcome = await reserveIn(holderOf(call.record.objectName), call.record.call);
    if ("reservation" in outcome) reserved.set(call, outcome);
    else results[i] = outcome;
  }
  const sent = run.calls.filter((call) => !call.record || reserved.has(call));
  if (sent.length === 0) return { results: results as BatchCallResult[] };

  const startedAt = Math.min(...[...reserved.values()].map((r) => r.reservation.lockExpiresAt - r.call.policy.lockTimeoutMs), Date.now());
  const timeoutMs = run.bulk.originTimeoutMs - (Date.now() - startedAt);
  const answer: BatchResult =
    timeoutMs > 0
      ? await sendBatch(env, run.bulk, sent, timeoutMs)
      : {
          ok: false,
          end: "never-began",
          kind: "origin-timeout",
          detail: `the bulk request's calls waited ${run.bulk.originTimeoutMs} ms for earlier copies of some of them, so the bulk request was not sent`,
          originMs: 0,
        };
  const settled = sent.map(async (call, j): Promise<BatchCallResult> => {
    const entry = answer.ok ? answer.entries[j] : undefined;
    const reservation = reserved.get(call);
    if (reservation) return settle(reservation, call.name, answer, entry);
    return answer.ok ? { type: "entry", entry } : errorResult("origin-error", answer.kind, answer.detail, { originMs: answer.originMs });
  });
  const byCall = new Map(sent.map((call, j) => [call, settled[j]]));
  const all = await Promise.all(run.calls.map((call, i) => byCall.get(call) ?? (results[i] as BatchCallResult)));
  return { status: answer.ok ? answer.status : undefined, originMs: answer.originMs, results: all };
}
