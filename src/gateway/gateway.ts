import type { Env } from "../env.ts";
import type { IdemConfig, Route } from "../model/config.ts";
import { runExchange } from "../objects/run-exchange.ts";
import { keyObject, olderKeyObject } from "../objects/stubs.ts";
import { type DecisionLog, logSampledDecision } from "../observability/decision-log.ts";
import { writeDecisionMetrics } from "../observability/metrics.ts";
import { fullBody } from "../origin/exchange.ts";
import type { OriginTarget } from "../origin/origins.ts";
import { streamThrough } from "../origin/pass-through.ts";
import { callName, planRequest, type RequestPlan } from "../plan/plan.ts";
import type { RouteTable } from "../plan/route-table.ts";
import { type DocumentCall, type ExchangeCall, type KeyCall, OBJECT_PROTOCOL } from "../protocol/messages.ts";
import { answered, coordinatorUnavailable, exchangeFailed, type GatewayResult, invalidRequest } from "../protocol/results.ts";
import { readBodyWithin } from "../request/body.ts";
import { errorMessage } from "../util/error-message.ts";
import { runsUnguarded } from "./batch.ts";
import { type InboundRequest, reserveCallOf } from "./inbound.ts";
import { originRequest, passThroughRequest, withForwardedKey } from "./origin-request.ts";
import { timingOf, toResponse } from "./respond.ts";
import { executeBatch } from "./run-batch.ts";

type MatchedPlan = Extract<RequestPlan, { route: Route; fields: unknown }>;

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

/** The API call an error answer echoes (`callName`): read only for an error, as a request that goes through never needs it. */
function errorCallOf(plan: RequestPlan, result: GatewayResult): string | undefined {
  if (result.type !== "error" || plan.type === "pass-through") return undefined;
  return plan.type === "refused" ? plan.call : callName(plan.route, plan.fields);
}

/** Carries out a plan: refuse, pass through, or run it through the record's or the document's object. */
function execute(inbound: InboundRequest, plan: RequestPlan): Promise<GatewayResult> {
  switch (plan.type) {
    case "batch":
      return plan.calls.every((call) => runsUnguarded(call.plan))
        ? passThrough(inbound, plan.target, plan.body ?? inbound.request.body)
        : executeBatch(inbound, plan, execute);
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
