import { createAdminApi } from "../admin/admin-api.ts";
import type { IdemConfig, Route } from "../config/resolve.ts";
import type { Env } from "../env.ts";
import type { ErrorKind } from "../errors/catalog.ts";
import type { DocumentCall, ErrorResult, ExchangeCall, GatewayResult, KeyCall, Outcome } from "../objects/protocol.ts";
import { runExchange } from "../objects/run-exchange.ts";
import { stubFor } from "../objects/stubs.ts";
import { type DecisionLog, logDecision } from "../observability/decision-log.ts";
import { writeDecisionMetrics } from "../observability/metrics.ts";
import { fullBody } from "../origin/exchange.ts";
import { streamThrough } from "../origin/pass-through.ts";
import { BodyTooLargeError, readBodyWithin } from "../request/body.ts";
import { TooDeepError } from "../request/canonical.ts";
import { FieldError, RequestFields } from "../request/request-fields.ts";
import { requestFingerprint } from "./fingerprint.ts";
import { keyObjectName } from "./identity.ts";
import { originRequest } from "./origin-request.ts";
import { isAmbiguousPath } from "./path-guard.ts";
import { identifyRequest } from "./request-identity.ts";
import { timingOf, toResponse } from "./respond.ts";
import { candidatesReadBody, type RouteCandidate, RouteTable, selectRoute } from "./route-table.ts";

/** Everything known about one request while the gateway decides on it. */
interface Exchange {
  config: IdemConfig;
  env: Env;
  request: Request;
  url: URL;
  startedAt: number;
}

/** Facts for the decision log beyond the result itself. */
interface Decided {
  result: GatewayResult;
  route?: Route;
  call?: string;
  /** The record ID (a hash; never the raw key). */
  record?: string;
  rule?: string;
}

function invalid(kind: ErrorKind, detail: string, field?: string): ErrorResult {
  return { type: "error", outcome: "invalid-request", kind, detail, field };
}

/** Reads the body for a route, or explains why it cannot be used. */
async function bufferedFields(ex: Exchange, candidates: RouteCandidate[]): Promise<RequestFields | ErrorResult> {
  if (!candidatesReadBody(candidates, ex.request.headers)) return new RequestFields(ex.url, ex.request.headers, new Uint8Array(0));
  try {
    return await RequestFields.read(ex.url, ex.request.headers, await readBodyWithin(ex.request, ex.config.maxRequestBodyBytes));
  } catch (error) {
    if (error instanceof BodyTooLargeError) return invalid("body-too-large", `${error.message}; the limit is maxRequestBodyBytes`);
    return invalid("invalid-body", `the request body could not be read (${(error as Error).message})`);
  }
}

async function askKeyObject(ex: Exchange, call: KeyCall): Promise<GatewayResult> {
  try {
    const stub = stubFor(ex.env.KEYS, keyObjectName(call.id, ex.config.keyspace), ex.config.placement);
    return (await stub.handle(call)) as GatewayResult;
  } catch (error) {
    return {
      type: "error",
      outcome: "unavailable",
      kind: "coordinator-unavailable",
      // The object may have been lost mid-call, after it sent the request on: do not claim it was not forwarded.
      detail: `the idempotency record could not be reached (${(error as Error).message}); the request may or may not have reached the origin, retry with the same key`,
      retryAfterSeconds: 1,
    };
  }
}

async function forwardUnrecorded(ex: Exchange, call: ExchangeCall): Promise<GatewayResult> {
  let result: Awaited<ReturnType<typeof runExchange>>;
  try {
    result = await runExchange(ex.env, call);
  } catch (error) {
    return {
      type: "error",
      outcome: "unavailable",
      kind: "coordinator-unavailable",
      // As with a key's object: it may have been lost after it sent the request on.
      detail: `the document's queue could not be reached (${(error as Error).message}); the request may or may not have reached the origin`,
      retryAfterSeconds: 1,
    };
  }
  if (!result.ok) {
    const outcome: Outcome = result.kind === "edit-timeout" || result.kind === "delete-in-progress" ? result.kind : "origin-error";
    return { type: "error", outcome, kind: result.kind, detail: result.detail, originMs: result.originMs };
  }
  return {
    type: "response",
    outcome: "forwarded",
    status: result.status,
    headers: result.headers,
    body: fullBody(result),
    originStatus: result.status,
    originMs: result.originMs,
  };
}

/**
 * The body to forward for a request Idem does not record: the bytes it read,
 * or, when no route needed to read it, the client's body as it streams in.
 */
function bodyToForward(ex: Exchange, fields: RequestFields): Uint8Array | ReadableStream<Uint8Array> | null {
  return ex.request.bodyUsed ? fields.bodyBytes : ex.request.body;
}

async function passThrough(ex: Exchange, body: Uint8Array | ReadableStream<Uint8Array> | null): Promise<GatewayResult> {
  const origin = originRequest(ex.config, ex.request, ex.url, null);
  const result = await streamThrough({ ...origin, body }, ex.config.originTimeoutMs);
  if (!result.ok) return { type: "error", outcome: "origin-error", kind: result.kind, detail: result.detail, originMs: result.originMs };
  return {
    type: "response",
    outcome: "passed-through",
    status: result.status,
    headers: result.headers,
    body: result.body ?? new Uint8Array(0),
    originStatus: result.status,
    originMs: result.originMs,
  };
}

/** The decision for a request that matched `route`: key, then dedup rule, then document queue, else plain forward. */
async function decide(ex: Exchange, route: Route, fields: RequestFields): Promise<Decided> {
  const identity = await identifyRequest(route, fields);
  if (identity.type === "invalid") return { route, result: invalid(identity.kind, identity.detail, identity.field) };

  // A dedup-covered request never names a document (see identifyRequest).
  const target = identity.type === "dedup" ? undefined : identity.document;
  const document: DocumentCall | undefined =
    route.document && target
      ? {
          objectName: target.objectName,
          placement: ex.config.placement,
          isDelete: route.document.isDelete,
          editTimeoutMs: route.document.editTimeoutMs,
        }
      : undefined;
  const exchange: ExchangeCall = {
    origin: originRequest(ex.config, ex.request, ex.url, fields.bodyBytes),
    originTimeoutMs: ex.config.originTimeoutMs,
    bufferLimit: route.maxStoredResponseBytes,
    document,
  };
  const recordPolicy = {
    route: route.name,
    concurrency: route.concurrency,
    waitTimeoutMs: route.waitTimeoutMs,
    lockTimeoutMs: route.lockTimeoutMs,
  };

  if (identity.type === "key") {
    const fingerprint = await requestFingerprint(ex.request.method, fields, route.fingerprintHeaders, ex.config.pathMatching);
    const result = await askKeyObject(ex, {
      ...exchange,
      ...recordPolicy,
      id: identity.recordId,
      kind: "key",
      mode: route.mode,
      fingerprint,
      ttlMs: route.ttlMs,
      neverStore: route.neverStore,
      successWhen: route.successWhen,
    });
    return { route, result, record: identity.recordId };
  }

  if (identity.type === "dedup") {
    const result = await askKeyObject(ex, {
      ...exchange,
      ...recordPolicy,
      concurrency: "wait",
      id: identity.recordId,
      kind: "dedup",
      mode: "replay",
      fingerprint: identity.contentHash,
      ttlMs: identity.rule.windowMs,
      neverStore: identity.rule.neverStore,
      successWhen: identity.rule.successWhen,
    });
    return { route, result, record: identity.recordId, rule: identity.rule.name };
  }

  if (document) return { route, result: await forwardUnrecorded(ex, exchange) };
  return { route, result: await passThrough(ex, bodyToForward(ex, fields)) };
}

function callName(route: Route, fields: RequestFields): string | undefined {
  try {
    return fields.get(route.errors.callField);
  } catch {
    return undefined;
  }
}

async function route(ex: Exchange, table: RouteTable): Promise<Decided> {
  if (isAmbiguousPath(ex.url.pathname)) {
    return { result: invalid("ambiguous-path", "the path holds an encoded dot-segment, a backslash or a broken escape") };
  }
  const candidates = await table.candidates(ex.request.method, ex.url);
  if (candidates.length === 0) return { result: await passThrough(ex, ex.request.body) };

  const buffered = await bufferedFields(ex, candidates);
  if (!(buffered instanceof RequestFields)) return { route: candidates[0]?.route, result: buffered };
  let matchedRoute: Route | undefined;
  let fields = buffered;
  try {
    const selected = selectRoute(candidates, buffered);
    if (!selected) return { result: await passThrough(ex, bodyToForward(ex, buffered)) };
    matchedRoute = selected.route;
    fields = selected.fields;
    const decided = await decide(ex, matchedRoute, fields);
    return { ...decided, call: callName(matchedRoute, fields) };
  } catch (error) {
    if (error instanceof FieldError || error instanceof TooDeepError) {
      const profileRoute = matchedRoute ?? candidates[0]?.route;
      return {
        route: profileRoute,
        call: profileRoute && callName(profileRoute, fields),
        result: invalid("invalid-body", error.message),
      };
    }
    throw error;
  }
}

/**
 * The gateway for one config: requests under the admin prefix go to the
 * admin API; every other request is routed, decided on, answered, and logged
 * (one `idem.decision` line, and a data point when Analytics Engine is bound).
 *
 * @example
 * const gateway = createGateway(loadConfig(env.IDEM_CONFIG));
 * return gateway.fetch(request, env);
 */
export function createGateway(config: IdemConfig): { fetch(request: Request, env: Env): Promise<Response> } {
  const table = new RouteTable(config.routes, config.pathMatching);
  const admin = createAdminApi(config, table);
  return {
    async fetch(request, env) {
      const ex: Exchange = { config, env, request, url: new URL(request.url), startedAt: Date.now() };
      if (admin.owns(ex.url)) return admin.fetch(request, env);
      const decided = await route(ex, table);
      const result = decided.result;
      const timing = timingOf(ex.startedAt, result.originMs);
      const response = toResponse(result, {
        route: decided.route,
        method: request.method,
        startedAt: ex.startedAt,
        timing,
        call: decided.call,
      });
      const entry: DecisionLog = {
        route: decided.route?.name ?? null,
        outcome: result.outcome,
        method: request.method,
        status: response.status,
        originStatus: result.type === "response" ? result.originStatus : undefined,
        record: decided.record,
        rule: decided.rule,
        error: result.type === "error" ? result.kind : undefined,
        ...timing,
      };
      logDecision(entry);
      writeDecisionMetrics(env.ANALYTICS, entry);
      return response;
    },
  };
}
