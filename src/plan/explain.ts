import type { IdemConfig } from "../model/config.ts";
import { BodyTooLargeError } from "../request/body.ts";
import { FieldError } from "../request/field-error.ts";
import { RequestFields } from "../request/request-fields.ts";
import { scopeOf } from "./identity.ts";
import { planRequest, type RecordLocation, type RequestPlan } from "./plan.ts";
import { candidateParsings, type RouteTable, routeConditionsHold } from "./route-table.ts";

/** A request to explain: what a client would send. */
export interface SampleRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: Uint8Array;
}

/** A route whose path and method fit the request, and whether its `when` conditions hold. */
export interface ExplainedCandidate {
  route: string;
  path: string;
  conditions: "hold" | "fail" | "unreadable";
}

/**
 * What Idem would do with the request, as printed: the plan's type with the
 * names and IDs an operator looks for.
 */
export type ExplainedOutcome =
  | { type: "refused"; route?: string; kind: string; detail: string }
  | { type: "pass-through" }
  | ({ type: "key"; route: string; key: string; scope: string; documentId?: string; fingerprint: string } & RecordLocation)
  | ({ type: "dedup"; route: string; rule: string; windowMs: number; scope: string } & RecordLocation)
  | { type: "forward"; route: string; scope: string; documentId?: string }
  | { type: "batch"; route: string; calls: { requestName: string; outcome: ExplainedOutcome }[] };

/** Where the request would go: the origin's name, and the URL (and service binding) it would be sent to. */
export interface ExplainedOrigin {
  name: string;
  url: string;
  binding?: string;
}

export interface Explanation {
  candidates: ExplainedCandidate[];
  outcome: ExplainedOutcome;
  /** Unset when Idem would refuse the request. */
  origin?: ExplainedOrigin;
}

async function outcomeOf(plan: RequestPlan): Promise<ExplainedOutcome> {
  switch (plan.type) {
    case "refused":
      return { type: "refused", route: plan.route?.name, kind: plan.kind, detail: plan.detail };
    case "pass-through":
      return { type: "pass-through" };
    case "keyed": {
      const { route, key, scope, recordId, keyObject, fingerprint, document } = plan;
      return { type: "key", route: route.name, key, scope, documentId: document?.id, fingerprint, recordId, keyObject };
    }
    case "deduplicated": {
      const { route, rule, scope, recordId, keyObject } = plan;
      return { type: "dedup", route: route.name, rule: rule.name, windowMs: rule.windowMs, scope, recordId, keyObject };
    }
    case "guarded":
      // The plan hashes no scope for a request it records nothing for; the explanation still names whose it is.
      return { type: "forward", route: plan.route.name, scope: await scopeOf(plan.route, plan.fields), documentId: plan.document.id };
    case "forward":
      return { type: "forward", route: plan.route.name, scope: await scopeOf(plan.route, plan.fields) };
    case "batch":
      return {
        type: "batch",
        route: plan.route.name,
        calls: await Promise.all(plan.calls.map(async (call) => ({ requestName: call.request.name, outcome: await outcomeOf(call.plan) }))),
      };
  }
}

/** Whether each candidate's `when` conditions hold for the sample: shown so an operator sees why a route was skipped. */
async function candidatesOf(plan: RequestPlan, sample: SampleRequest): Promise<ExplainedCandidate[]> {
  const fields = await RequestFields.read(sample.url, sample.headers, sample.body, candidateParsings(plan.candidates));
  return plan.candidates.map(({ route, params }) => {
    let conditions: ExplainedCandidate["conditions"];
    try {
      conditions = routeConditionsHold(route, fields.forRoute(params, route.parsing)) ? "hold" : "fail";
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      conditions = "unreadable";
    }
    return { route: route.name, path: route.path, conditions };
  });
}

/**
 * Explains which route and rule a request would hit, and which record it
 * would use: the gateway's own plan (`planRequest`), printed. Nothing is sent
 * anywhere. Used by `npm run check-config -- --explain` and the admin API's
 * record lookup.
 *
 * @example
 * const { outcome } = await explainRequest(config, new RouteTable(config.routes, config.pathMatching), sample);
 * outcome.type === "key" && outcome.recordId // "5c0e…"
 */
export async function explainRequest(config: IdemConfig, table: RouteTable, sample: SampleRequest): Promise<Explanation> {
  const plan = await planRequest(config, table, {
    method: sample.method,
    url: sample.url,
    headers: sample.headers,
    readBody: async (limit) => {
      if (sample.body.byteLength > limit) throw new BodyTooLargeError(limit);
      return sample.body;
    },
  });
  const explanation: Explanation = { candidates: await candidatesOf(plan, sample), outcome: await outcomeOf(plan) };
  if (plan.type !== "refused") {
    const { name, url, binding } = plan.target;
    explanation.origin = { name, url, ...(binding === undefined ? {} : { binding }) };
  }
  return explanation;
}
