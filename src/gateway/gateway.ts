import type { Env } from "../env.ts";
import type { IdemConfig, Route } from "../model/config.ts";
import { recordHolders, runBatch } from "../objects/batch-runner.ts";
import { runExchange } from "../objects/run-exchange.ts";
import { keyObject, olderKeyObject } from "../objects/stubs.ts";
import { type DecisionLog, logDecision, logSampledDecision } from "../observability/decision-log.ts";
import { writeDecisionMetrics } from "../observability/metrics.ts";
import { fullBody } from "../origin/exchange.ts";
import type { OriginTarget } from "../origin/origins.ts";
import { streamThrough } from "../origin/pass-through.ts";
import { type BatchCall, callName, planRequest, type RequestPlan } from "../plan/plan.ts";
import type { RouteTable } from "../plan/route-table.ts";
import { type BatchRunCall, type DocumentCall, type ExchangeCall, type KeyCall, OBJECT_PROTOCOL, type ReserveCall } from "../protocol/messages.ts";
import {
  answered,
  type BatchCallResult,
  type BatchRunResult,
  coordinatorUnavailable,
  exchangeFailed,
  type GatewayResult,
  invalidRequest,
} from "../protocol/results.ts";
import { readBodyWithin } from "../request/body.ts";
import { errorMessage } from "../util/error-message.ts";
import { type BatchEntry, bulkAnswer, bulkCallOf, bulkExchangeOf, entryFor, runsUnguarded, segmentsOf } from "./batch.ts";
import { originRequest, passThroughRequest, withForwardedKey } from "./origin-request.ts";
import { timingOf, toResponse } from "./respond.ts";

/** One request the gateway is answering, with its config, bindings and start time (neither the origin exchange, `ExchangeCall`, nor the Worker's `ExecutionContext`). */
interface InboundRequest {
  config: IdemConfig;
  env: Env;
  request: Request;
  url: URL;
  startedAt: number;
}

type MatchedPlan = Extract<RequestPlan, { route: Route; fields: unknown }>;
type BatchPlan = Extract<RequestPlan, { type: "batch" }>;
type BatchRoute = Route & { batch: NonNullable<Route["batch"]> };

/** The record a keyed or deduplicated request decides on. */
function reserveCallOf(plan: Extract<RequestPlan, { type: "keyed" | "deduplicated" }>): ReserveCall {
  return { protocol: OBJECT_PROTOCOL, id: plan.recordId, fingerprint: plan.fingerprint, policy: plan.policy };
}

async function askKeyObject(inbound: InboundRequest, objectName: string, call: KeyCall): Promise<GatewayResult> {
  try {
    return await keyObject(inbound.env, objectName, inbound.config.placement).decide(call);
  } catch (error) {
    // Older than OBJECT_PROTOCOL, which renamed the method; such an object never got to run anything.
    const older = olderKeyObject(error);
    if (older) return older;
    // The object may have been lost mid-call, after it sent the request on: do not claim it was not forwarded.
    return coordinatorUnavailable(
      `the idempotency record could not be reached (${errorMessage(error)}); the request may or may not have reached the origin, retry with the same key`,
    );
  }
}

async function forwardGuarded(inbound: InboundRequest, call: ExchangeCall): Promise<GatewayResult> {
  try {
    const result = await runExchange(inbound.env, call);
    return result.ok ? answered("forwarded", result, fullBody(result)) : exchangeFailed(result);
  } catch (error) {
    // As with a key's object: it may have been lost after it sent the request on.
    return coordinatorUnavailable(
      `the document's queue could not be reached (${errorMessage(error)}); the request may or may not have reached the origin`,
    );
  }
}

/** Forwards a request Idem does not remember, streaming what it did not need to read. */
async function passThrough(
  inbound: InboundRequest,
  target: OriginTarget,
  body: Uint8Array | ReadableStream<Uint8Array> | null,
): Promise<GatewayResult> {
  const result = await streamThrough(
    inbound.env,
    passThroughRequest(inbound.config, target, inbound.request, inbound.url, body),
    inbound.config.originTimeoutMs,
  );
  if (!result.ok) return exchangeFailed(result);
  return answered("passed-through", result, result.body ?? new Uint8Array(0));
}

/** The origin exchange of a matched request, through its document's queue when it names one. */
function exchangeOf(inbound: InboundRequest, plan: MatchedPlan): ExchangeCall {
  const document = plan.type === "keyed" || plan.type === "guarded" ? plan.document : undefined;
  const guard = plan.route.document;
  const documentCall: DocumentCall | undefined =
    guard && document
      ? { objectName: document.objectName, placement: inbound.config.placement, isDelete: guard.isDelete, editTimeoutMs: guard.editTimeoutMs }
      : undefined;
  const origin = originRequest(inbound.config, plan.target, inbound.request, inbound.url, plan.fields.bodyBytes);
  const recorded = plan.type === "keyed" || plan.type === "deduplicated";
  return {
    protocol: OBJECT_PROTOCOL,
    // An origin that deduplicates on its own gets the key (or the record ID) to recognise a re-run by.
    origin: recorded
      ? withForwardedKey(origin, plan.route.forwardKey, { key: plan.type === "keyed" ? plan.key : undefined, recordId: plan.recordId })
      : origin,
    originTimeoutMs: inbound.config.originTimeoutMs,
    bufferLimit: plan.route.maxStoredResponseBytes,
    document: documentCall,
  };
}

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
async function entryOf(inbound: InboundRequest, call: BatchCall, result: BatchCallResult, bulk: Route, startedAt: number): Promise<BatchEntry> {
  if (result.type === "entry") return entryFor(call, result.entry);
  const { plan } = call;
  const route = plan.type === "pass-through" ? undefined : plan.route;
  const answer = await answerOf(inbound, result, route ?? bulk, call.request.name);
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
      batch: bulk.name,
      ...timingOf(startedAt, result.originMs),
    });
  }
  return entryFor(call, answer.json, answer.status);
}

/** Runs one call of a bulk request exactly as if it had been sent alone (through its document's object), and returns its entry. */
async function runAlone(inbound: InboundRequest, call: BatchCall, bulk: Route): Promise<{ entry: BatchEntry; originMs?: number }> {
  const { request, plan } = call;
  const startedAt = Date.now();
  const alone = new Request(request.url, { method: inbound.request.method, headers: request.headers, body: request.body });
  const result = await execute({ ...inbound, request: alone, url: request.url }, plan);
  return { entry: await entryOf(inbound, call, result, bulk, startedAt), originMs: result.originMs };
}

/**
 * Sends calls of a bulk request to the origin as one bulk request. When some
 * have records, one KeyObject (the first such call's) runs the exchange: it
 * reserves every record, sends the calls that must run, and stores their
 * answers, so a client that disconnects cannot cut between. Refused calls
 * are answered in place, never sent.
 */
async function runTogether(inbound: InboundRequest, plan: BatchPlan, bulk: BatchRoute, calls: readonly BatchCall[]): Promise<BatchRunResult> {
  const sending = calls.filter((call) => call.plan.type !== "refused");
  const [first] = sending;
  let run: BatchRunResult = { results: [] };
  if (first) {
    const messages = sending.map((call) =>
      bulkCallOf(
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
      bulk: bulkExchangeOf(plan.target, inbound.config, bulk, first, plan.shared, inbound.request.method),
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
 * A bulk request none of whose calls needs a guard passes through untouched.
 */
async function executeBatch(inbound: InboundRequest, plan: BatchPlan): Promise<GatewayResult> {
  const route: BatchRoute = { ...plan.route, batch: plan.route.batch as NonNullable<Route["batch"]> };
  if (plan.calls.every((call) => runsUnguarded(call.plan))) return passThrough(inbound, plan.target, plan.body ?? inbound.request.body);
  const entries: BatchEntry[] = [];
  let status: Record<string, unknown> | undefined;
  let originMs = 0;
  for (const segment of segmentsOf(plan.calls)) {
    if ("alone" in segment) {
      const alone = await runAlone(inbound, segment.alone, route);
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
    bulkAnswer(status, entries, inbound.startedAt),
  );
}

/** The API call an error answer echoes (`callName`): read only for an error, as a request that goes through never needs it. */
function errorCallOf(plan: RequestPlan, result: GatewayResult): string | undefined {
  if (result.type !== "error" || plan.type === "pass-through") return undefined;
  return plan.type === "refused" ? plan.call : callName(plan.route, plan.fields);
}

/** Carries out a plan: refuse, pass through, or run it through the record's or the document's object. */
function execute(inbound: InboundRequest, plan: RequestPlan): Promise<GatewayResult> {
  switch (plan.type) {
    case "batch":
      return executeBatch(inbound, plan);
    case "refused":
      return Promise.resolve(invalidRequest(plan.kind, plan.detail, plan.field));
    case "pass-through":
    case "forward":
      return passThrough(inbound, plan.target, plan.body ?? inbound.request.body);
    case "guarded":
      return forwardGuarded(inbound, exchangeOf(inbound, plan));
    case "keyed":
    case "deduplicated": {
      const call: KeyCall = { ...reserveCallOf(plan), exchange: exchangeOf(inbound, plan) };
      return askKeyObject(inbound, plan.keyObject, call);
    }
  }
}

/**
 * The gateway for one config: every request is planned (`planRequest`),
 * executed, answered, and logged (one `idem.decision` line, and a data point
 * when Analytics Engine is bound).
 *
 * @example
 * const gateway = createGateway(config, new RouteTable(config.routes, config.pathMatching));
 * return gateway.fetch(request, env, new URL(request.url));
 */
export function createGateway(config: IdemConfig, table: RouteTable): { fetch(request: Request, env: Env, url: URL): Promise<Response> } {
  return {
    async fetch(request, env, url) {
      const inbound: InboundRequest = { config, env, request, url, startedAt: Date.now() };
      const plan = await planRequest(config, table, {
        method: request.method,
        url: inbound.url,
        headers: request.headers,
        readBody: (limit) => readBodyWithin(request, limit),
      });
      const result = await execute(inbound, plan);
      const route = plan.type === "pass-through" ? undefined : plan.route;
      const timing = timingOf(inbound.startedAt, result.originMs);
      const response = toResponse(result, {
        route,
        method: request.method,
        startedAt: inbound.startedAt,
        timing,
        call: errorCallOf(plan, result),
        docsBase: config.problemDocsBase,
      });
      const entry: DecisionLog = {
        route: route?.name ?? null,
        origin: plan.type === "refused" ? undefined : plan.target.name,
        outcome: result.outcome,
        method: request.method,
        status: response.status,
        originStatus: result.originStatus,
        record: plan.type === "keyed" || plan.type === "deduplicated" ? plan.recordId : undefined,
        rule: plan.type === "deduplicated" ? plan.rule.name : undefined,
        error: result.type === "error" ? result.kind : undefined,
        ...timing,
      };
      logSampledDecision(entry, config.decisionLog.passThroughRate);
      writeDecisionMetrics(env.ANALYTICS, entry);
      return response;
    },
  };
}
