import type { IdemConfig, Route } from "../config/resolve.ts";
import type { Env } from "../env.ts";
import type { ErrorKind } from "../errors/catalog.ts";
import { runExchange } from "../objects/run-exchange.ts";
import { stubFor } from "../objects/stubs.ts";
import { type DecisionLog, logDecision } from "../observability/decision-log.ts";
import { writeDecisionMetrics } from "../observability/metrics.ts";
import { fullBody } from "../origin/exchange.ts";
import type { OriginTarget } from "../origin/origins.ts";
import { streamThrough } from "../origin/pass-through.ts";
import { type BatchCall, planRequest, type RequestPlan } from "../plan/plan.ts";
import type { RouteTable } from "../plan/route-table.ts";
import { type DocumentCall, type ExchangeCall, type KeyCall, OBJECT_PROTOCOL } from "../protocol/messages.ts";
import {
  answered,
  coordinatorUnavailable,
  errorResult,
  exchangeFailed,
  type GatewayResult,
  invalidRequest,
  versionSkew,
} from "../protocol/results.ts";
import { readBodyWithin } from "../request/body.ts";
import { errorMessage } from "../util/error-message.ts";
import { type BatchEntry, bulkAnswer, entryFor, forwardTogether, runsUnguarded } from "./batch.ts";
import { originRequest, passThroughRequest, withForwardedKey } from "./origin-request.ts";
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

/**
 * An object of the previous version has no `decide` (OBJECT_PROTOCOL): the
 * runtime refuses the call before the object runs anything.
 */
function isMissingMethod(error: unknown): boolean {
  return error instanceof TypeError && error.message.startsWith("The RPC receiver does not implement");
}

async function askKeyObject(ex: Exchange, objectName: string, call: KeyCall): Promise<GatewayResult> {
  try {
    return (await stubFor(ex.env.KEYS, objectName, ex.config.placement).decide(call)) as GatewayResult;
  } catch (error) {
    // Older than OBJECT_PROTOCOL, which renamed the method; such an object never got to run anything.
    if (isMissingMethod(error)) return versionSkew("KeyObject", { sent: OBJECT_PROTOCOL, speaks: OBJECT_PROTOCOL - 1 });
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
async function passThrough(ex: Exchange, target: OriginTarget, body: Uint8Array | ReadableStream<Uint8Array> | null): Promise<GatewayResult> {
  const result = await streamThrough(ex.env, passThroughRequest(target, ex.request, ex.url, body), ex.config.originTimeoutMs);
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
  const origin = originRequest(plan.target, ex.request, ex.url, plan.fields.bodyBytes);
  const recorded = plan.type === "keyed" || plan.type === "deduplicated";
  return {
    protocol: OBJECT_PROTOCOL,
    // An origin that deduplicates on its own gets the key (or the record ID) to recognise a re-run by.
    origin: recorded
      ? withForwardedKey(origin, plan.route.forwardKey, { key: plan.type === "keyed" ? plan.key : undefined, recordId: plan.recordId })
      : origin,
    originTimeoutMs: ex.config.originTimeoutMs,
    bufferLimit: plan.route.maxStoredResponseBytes,
    document: documentCall,
  };
}

/** A call's answer as the route's error format or the origin writes it, read as JSON (undefined when it is not). */
async function answerOf(
  ex: Exchange,
  result: GatewayResult,
  route: Route | undefined,
  call: string | undefined,
): Promise<{ json: unknown; status: number }> {
  const response = toResponse(result, {
    route,
    method: ex.request.method,
    startedAt: ex.startedAt,
    timing: timingOf(ex.startedAt, result.originMs),
    call,
    docsBase: ex.config.problemDocsBase,
  });
  const text = await response.text();
  try {
    return { json: JSON.parse(text), status: response.status };
  } catch {
    return { json: undefined, status: response.status };
  }
}

/** Runs one call of a bulk request exactly as if it had been sent alone, logs its decision, and returns its entry. */
async function runAlone(ex: Exchange, call: BatchCall, batch: string): Promise<{ entry: BatchEntry; originMs?: number }> {
  const { request, plan } = call;
  const startedAt = Date.now();
  const alone = new Request(request.url, { method: ex.request.method, headers: request.headers, body: request.body });
  const result = await execute({ ...ex, request: alone, url: request.url }, plan);
  const route = plan.type === "pass-through" ? undefined : plan.route;
  const answer = await answerOf(ex, result, route, request.name);
  logDecision({
    route: route?.name ?? null,
    outcome: result.outcome,
    method: ex.request.method,
    status: answer.status,
    originStatus: result.type === "response" ? result.originStatus : undefined,
    record: plan.type === "keyed" || plan.type === "deduplicated" ? plan.recordId : undefined,
    rule: plan.type === "deduplicated" ? plan.rule.name : undefined,
    error: result.type === "error" ? result.kind : undefined,
    batch,
    ...timingOf(startedAt, result.originMs),
  });
  return { entry: entryFor(call, answer.json, answer.status), originMs: result.originMs };
}

/**
 * Carries out a bulk request, in the client's order: a call that is refused,
 * keyed, deduplicated or waits for its document runs alone, through its own
 * record or document (so it shares them with the same call sent alone, and
 * its exchange is owned by that object); consecutive calls that need none of
 * that go on together as one bulk request. The answer holds every call's
 * entry in place. A bulk request none of whose calls needs a guard passes
 * through untouched.
 */
async function executeBatch(ex: Exchange, plan: Extract<RequestPlan, { type: "batch" }>): Promise<GatewayResult> {
  const route = { ...plan.route, batch: plan.route.batch as NonNullable<Route["batch"]> };
  if (plan.calls.every((call) => runsUnguarded(call.plan))) return passThrough(ex, plan.target, plan.body ?? ex.request.body);
  const entries: BatchEntry[] = [];
  let status: Record<string, unknown> | undefined;
  let originMs = 0;
  let together: BatchCall[] = [];
  const flush = async () => {
    if (together.length === 0) return;
    const sent = await forwardTogether(ex.env, plan.target, ex.config, route, together, plan.shared, ex.request.method);
    originMs += sent.originMs ?? 0;
    if (sent.failure) {
      const failed = errorResult("origin-error", sent.failure.kind as ErrorKind, sent.failure.detail);
      for (const call of together) entries.push(entryFor(call, (await answerOf(ex, failed, route, call.request.name)).json));
    } else {
      status ??= sent.status;
      entries.push(...sent.entries);
    }
    together = [];
  };
  for (const call of plan.calls) {
    if (runsUnguarded(call.plan)) {
      together.push(call);
      continue;
    }
    await flush();
    const alone = await runAlone(ex, call, route.name);
    originMs += alone.originMs ?? 0;
    entries.push(alone.entry);
  }
  await flush();
  const timed = originMs > 0 ? originMs : undefined;
  return answered(
    "batched",
    { status: 200, headers: [["content-type", "application/json"]], originMs: timed },
    bulkAnswer(status, entries, ex.startedAt),
  );
}

/** Carries out a plan: refuse, pass through, or run it through the record's or the document's object. */
function execute(ex: Exchange, plan: RequestPlan): Promise<GatewayResult> {
  switch (plan.type) {
    case "batch":
      return executeBatch(ex, plan);
    case "refused":
      return Promise.resolve(invalidRequest(plan.kind, plan.detail, plan.field));
    case "pass-through":
    case "forward":
      return passThrough(ex, plan.target, plan.body ?? ex.request.body);
    case "guarded":
      return forwardGuarded(ex, exchangeOf(ex, plan));
    case "keyed":
    case "deduplicated": {
      const call: KeyCall = {
        protocol: OBJECT_PROTOCOL,
        id: plan.recordId,
        fingerprint: plan.fingerprint,
        policy: plan.policy,
        exchange: exchangeOf(ex, plan),
      };
      return askKeyObject(ex, plan.keyObject, call);
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
      const ex: Exchange = { config, env, request, url, startedAt: Date.now() };
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
      logDecision(entry);
      writeDecisionMetrics(env.ANALYTICS, entry);
      return response;
    },
  };
}
