import type { IdemConfig, Route } from "../config/resolve.ts";
import type { Env } from "../env.ts";
import { runExchange } from "../objects/run-exchange.ts";
import { stubFor } from "../objects/stubs.ts";
import { type DecisionLog, logDecision } from "../observability/decision-log.ts";
import { writeDecisionMetrics } from "../observability/metrics.ts";
import { fullBody } from "../origin/exchange.ts";
import { streamThrough } from "../origin/pass-through.ts";
import { planRequest, type RequestPlan } from "../plan/plan.ts";
import type { RouteTable } from "../plan/route-table.ts";
import type { DocumentCall, ExchangeCall, KeyCall } from "../protocol/messages.ts";
import { answered, coordinatorUnavailable, exchangeFailed, type GatewayResult, invalidRequest } from "../protocol/results.ts";
import { readBodyWithin } from "../request/body.ts";
import { errorMessage } from "../util/error-message.ts";
import { originRequest } from "./origin-request.ts";
import { timingOf, toResponse } from "./respond.ts";

/** Everything known about one request while the gateway answers it. */
interface Exchange {
  config: IdemConfig;
  env: Env;
  request: Request;
  url: URL;
  startedAt: number;
}

type MatchedPlan = Extract<RequestPlan, { route: Route; fields: unknown }>;

async function askKeyObject(ex: Exchange, objectName: string, call: KeyCall): Promise<GatewayResult> {
  try {
    return (await stubFor(ex.env.KEYS, objectName, ex.config.placement).handle(call)) as GatewayResult;
  } catch (error) {
    // The object may have been lost mid-call, after it sent the request on: do not claim it was not forwarded.
    return coordinatorUnavailable(
      `the idempotency record could not be reached (${errorMessage(error)}); the request may or may not have reached the origin, retry with the same key`,
    );
  }
}

async function forwardGuarded(ex: Exchange, call: ExchangeCall): Promise<GatewayResult> {
  try {
    const result = await runExchange(ex.env, call);
    return result.ok ? answered("forwarded", result, fullBody(result)) : exchangeFailed(result);
  } catch (error) {
    // As with a key's object: it may have been lost after it sent the request on.
    return coordinatorUnavailable(
      `the document's queue could not be reached (${errorMessage(error)}); the request may or may not have reached the origin`,
    );
  }
}

/** Forwards a request Idem does not remember, streaming what it did not need to read. */
async function passThrough(ex: Exchange, body: Uint8Array | ReadableStream<Uint8Array> | null): Promise<GatewayResult> {
  const origin = originRequest(ex.config, ex.request, ex.url, null);
  const result = await streamThrough({ ...origin, body }, ex.config.originTimeoutMs);
  if (!result.ok) return exchangeFailed(result);
  return answered("passed-through", result, result.body ?? new Uint8Array(0));
}

/** The origin exchange of a matched request, through its document's queue when it names one. */
function exchangeOf(ex: Exchange, plan: MatchedPlan): ExchangeCall {
  const document = plan.type === "keyed" || plan.type === "guarded" ? plan.document : undefined;
  const guard = plan.route.document;
  const documentCall: DocumentCall | undefined =
    guard && document
      ? { objectName: document.objectName, placement: ex.config.placement, isDelete: guard.isDelete, editTimeoutMs: guard.editTimeoutMs }
      : undefined;
  return {
    origin: originRequest(ex.config, ex.request, ex.url, plan.fields.bodyBytes),
    originTimeoutMs: ex.config.originTimeoutMs,
    bufferLimit: plan.route.maxStoredResponseBytes,
    document: documentCall,
  };
}

/** Carries out a plan: refuse, pass through, or run it through the record's or the document's object. */
function execute(ex: Exchange, plan: RequestPlan): Promise<GatewayResult> {
  switch (plan.type) {
    case "refused":
      return Promise.resolve(invalidRequest(plan.kind, plan.detail, plan.field));
    case "pass-through":
    case "forward":
      return passThrough(ex, plan.body ?? ex.request.body);
    case "guarded":
      return forwardGuarded(ex, exchangeOf(ex, plan));
    case "keyed":
      return askKeyObject(ex, plan.keyObject, {
        id: plan.recordId,
        fingerprint: plan.fingerprint,
        policy: plan.route.record,
        exchange: exchangeOf(ex, plan),
      });
    case "deduplicated":
      return askKeyObject(ex, plan.keyObject, {
        id: plan.recordId,
        fingerprint: plan.contentHash,
        policy: plan.rule.record,
        exchange: exchangeOf(ex, plan),
      });
  }
}

/**
 * The gateway for one config: every request is planned (`planRequest`),
 * executed, answered, and logged (one `idem.decision` line, and a data point
 * when Analytics Engine is bound).
 *
 * @example
 * const gateway = createGateway(config, new RouteTable(config.routes, config.pathMatching));
 * return gateway.fetch(request, env);
 */
export function createGateway(config: IdemConfig, table: RouteTable): { fetch(request: Request, env: Env): Promise<Response> } {
  return {
    async fetch(request, env) {
      const ex: Exchange = { config, env, request, url: new URL(request.url), startedAt: Date.now() };
      const plan = await planRequest(config, table, {
        method: request.method,
        url: ex.url,
        headers: request.headers,
        readBody: (limit) => readBodyWithin(request, limit),
      });
      const result = await execute(ex, plan);
      const route = plan.type === "pass-through" ? undefined : plan.route;
      const timing = timingOf(ex.startedAt, result.originMs);
      const response = toResponse(result, {
        route,
        method: request.method,
        startedAt: ex.startedAt,
        timing,
        call: plan.type === "pass-through" ? undefined : plan.call,
      });
      const entry: DecisionLog = {
        route: route?.name ?? null,
        outcome: result.outcome,
        method: request.method,
        status: response.status,
        originStatus: result.type === "response" ? result.originStatus : undefined,
        record: plan.type === "keyed" || plan.type === "deduplicated" ? plan.recordId : undefined,
        rule: plan.type === "deduplicated" ? plan.rule.name : undefined,
        error: result.type === "error" ? result.kind : undefined,
        ...timing,
      };
      logDecision(entry);
      writeDecisionMetrics(env.ANALYTICS, entry);
      return response;
    },
  };
}
