import type { Env } from "../env.ts";
import type { IdemConfig } from "../model/config.ts";
import type { RequestPlan } from "../plan/plan.ts";
import { OBJECT_PROTOCOL, type ReserveCall } from "../protocol/messages.ts";

/** One request the gateway is answering, with its config, bindings and start time (neither the origin exchange, `ExchangeCall`, nor the Worker's `ExecutionContext`). */
export interface InboundRequest {
  config: IdemConfig;
  env: Env;
  request: Request;
  url: URL;
  startedAt: number;
}

/**
 * The record a keyed or deduplicated request decides on, as its KeyObject gets it.
 *
 * @example
 * reserveCallOf(plan) // { protocol: OBJECT_PROTOCOL, id: plan.recordId, fingerprint: plan.fingerprint, policy: plan.policy }
 */
export function reserveCallOf(plan: Extract<RequestPlan, { type: "keyed" | "deduplicated" }>): ReserveCall {
  return { protocol: OBJECT_PROTOCOL, id: plan.recordId, fingerprint: plan.fingerprint, policy: plan.policy };
}
