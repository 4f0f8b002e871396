/**
 * The execution of a bulk request (a `batch` plan): its calls run in the
 * client's order, alone or together, and their entries make one answer.
 */
import type { Route } from "../model/config.ts";
import { recordHolders, runBatch } from "../objects/batch-runner.ts";
import { keyObject, olderKeyObject } from "../objects/stubs.ts";
import { logDecision } from "../observability/decision-log.ts";
import type { BatchCall, RequestPlan } from "../plan/plan.ts";
import { type BatchRunCall, OBJECT_PROTOCOL } from "../protocol/messages.ts";
import {
  answered,
  type BatchCallResult,
  type BatchRunResult,
  coordinatorUnavailable,
  type GatewayResult,
  invalidRequest,
} from "../protocol/results.ts";
import { errorMessage } from "../util/error-message.ts";
import { type BatchEntry, batchAnswer, batchCallMessageOf, batchExchangeOf, entryFor, runsUnguarded, segmentsOf } from "./batch.ts";
import { type InboundRequest, reserveCallOf } from "./inbound.ts";
import { timingOf, toResponse } from "./respond.ts";

type BatchPlan = Extract<RequestPlan, { type: "batch" }>;
type BatchRoute = Route & { batch: NonNullable<Route["batch"]> };

/** Runs one plan as the gateway runs any request. */
type Execute = (inbound: InboundRequest, plan: RequestPlan) => Promise<GatewayResult>;

/** A call's answer as the route's error format or the origin writes it, read as JSON (undefined when it is not). */
async function answerOf(
  inbound: InboundRequest,
  result: GatewayResult,
  route: Route | undefined,
  call: string | undefined,
): Promise<{ json: unknown; status: number }> {
  const response = toResponse(result, {
    route,
    method: inbound.request.method,
    startedAt: inbound.startedAt,
    timing: timingOf(inbound.startedAt, result.originMs),
    call,
    docsBase: inbound.config.problemDocsBase,
  });
  const text = await response.text();
  try {
    return { json: JSON.parse(text), status: response.status };
  } catch {
    return { json: undefined, status: response.status };
  }
}

/** A call's entry in the bulk answer, from its result, rendered by its route's error profile (the bulk route's when it has none); logged unless it needed no guard. */
async function entryOf(inbound: InboundRequest, call: BatchCall, result: BatchCallResult, batchRoute: Route, startedAt: number): Promise<BatchEntry> {
  if (result.type === "entry") return entryFor(call, result.entry);
  const { plan } = call;
  const route = plan.type === "pass-through" ? undefined : plan.route;
  const answer = await answerOf(inbound, result, route ?? batchRoute, call.request.name);
  if (!runsUnguarded(plan)) {
    logDecision({
      route: route?.name ?? null,
      outcome: result.outcome,
      method: inbound.request.method,
      status: answer.status,
      originStatus: result.type === "response" ? result.originStatus : undefined,
      record: plan.type === "keyed" || plan.type === "deduplicated" ? plan.recordId : undefined,
      rule: plan.type === "deduplicated" ? plan.rule.name : undefined,
      error: result.type === "error" ? result.kind : undefined,
      batch: batchRoute.name,
      ...timingOf(startedAt, result.originMs),
    });
  }
  return entryFor(call, answer.json, answer.status);
}

/** Runs one call of a bulk request exactly as if it had been sent alone (through its document's object), and returns its entry. */
async function runAlone(
  inbound: InboundRequest,
  call: BatchCall,
  batchRoute: Route,
  execute: Execute,
): Promise<{ entry: BatchEntry; originMs?: number }> {
  const { request, plan } = call;
  const startedAt = Date.now();
  const alone = new Request(request.url, { method: inbound.request.method, headers: request.headers, body: request.body });
  const result = await execute({ ...inbound, request: alone, url: request.url }, plan);
  return { entry: await entryOf(inbound, call, result, batchRoute, startedAt), originMs: result.originMs };
}

/**
 * Sends calls of a bulk request to the origin as one bulk request. When some
 * have records, one KeyObject (the first such call's) runs the exchange: it
 * reserves every record, sends the calls that must run, and stores their
 * answers, so a client that disconnects cannot cut between. Refused calls
 * are answered in place, never sent.
 */
async function runTogether(inbound: InboundRequest, plan: BatchPlan, batchRoute: BatchRoute, calls: readonly BatchCall[]): Promise<BatchRunResult> {
  const sending = calls.filter((call) => call.plan.type !== "refused");
  const [first] = sending;
  let run: BatchRunResult = { results: [] };
  if (first) {
    const messages = sending.map((call) =>
      batchCallMessageOf(
        call,
        call.plan.type === "keyed" || call.plan.type === "deduplicated"
          ? { objectName: call.plan.keyObject, call: reserveCallOf(call.plan) }
          : undefined,
      ),
    );
    const runner = messages.find((message) => message.record)?.record?.objectName;
    const message: BatchRunCall = {
      protocol: OBJECT_PROTOCOL,
      runner: runner ?? "",
      placement: inbound.config.placement,
      bulk: batchExchangeOf(plan.target, inbound.config, batchRoute, first, plan.shared, inbound.request.method),
      calls: messages,
    };
    try {
      // Without records, nothing needs an object: the Worker sends them itself.
      run = runner
        ? await keyObject(inbound.env, runner, inbound.config.placement).runBatch(message)
        : await runBatch(inbound.env, message, recordHolders(inbound.env, inbound.config.placement));
    } catch (error) {
      const failed =
        olderKeyObject(error) ??
        coordinatorUnavailable(
          `the object running the bulk request could not be reached (${errorMessage(error)}); its calls may or may not have reached the origin, retry with the same keys`,
        );
      run = { results: messages.map(() => failed) };
    }
  }
  // One result per call sent, in order; the refused calls take their places among them.
  let sent = 0;
  return {
    ...run,
    results: calls.map((call) =>
      call.plan.type === "refused" ? invalidRequest(call.plan.kind, call.plan.detail, call.plan.field) : (run.results[sent++] as BatchCallResult),
    ),
  };
}

/**
 * Carries out a bulk request, in the client's order: calls that edit or
 * delete a document run alone, through its object; the calls between them
 * go to the origin together, as one bulk request holding every call that
 * must run (new keys and dedup records reserved first, shared with the same
 * calls sent alone), while replayed and refused calls are answered in place.
 * (A bulk request none of whose calls needs a guard never gets here: it
 * passes through untouched.) `execute` runs a call alone, as the gateway runs
 * any request.
 *
 * @example
 * executeBatch(inbound, plan, execute) // one GatewayResult: the bulk answer, an entry per call in order
 */
export async function executeBatch(inbound: InboundRequest, plan: BatchPlan, execute: Execute): Promise<GatewayResult> {
  const route: BatchRoute = { ...plan.route, batch: plan.route.batch as NonNullable<Route["batch"]> };
  const entries: BatchEntry[] = [];
  let status: Record<string, unknown> | undefined;
  let originMs = 0;
  for (const segment of segmentsOf(plan.calls)) {
    if ("alone" in segment) {
      const alone = await runAlone(inbound, segment.alone, route, execute);
      originMs += alone.originMs ?? 0;
      entries.push(alone.entry);
      continue;
    }
    const startedAt = Date.now();
    const run = await runTogether(inbound, plan, route, segment.together);
    status ??= run.status;
    originMs += run.originMs ?? 0;
    for (const [i, call] of segment.together.entries())
      entries.push(await entryOf(inbound, call, run.results[i] as BatchCallResult, route, startedAt));
  }
  const timed = originMs > 0 ? originMs : undefined;
  return answered(
    "batched",
    { status: 200, headers: [["content-type", "application/json"]], originMs: timed },
    batchAnswer(status, entries, inbound.startedAt),
  );
}
