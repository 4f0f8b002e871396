import type { Env } from "../env.ts";
import type { HeaderList } from "../http/headers.ts";
import type { Placement } from "../model/config.ts";
import type { OriginResponse } from "../origin/exchange.ts";
import { type GuardedResult, OBJECT_PROTOCOL } from "../protocol/messages.ts";
import { type BatchRunResult, type ErrorResult, type GatewayResult, versionSkew } from "../protocol/results.ts";
import type { DocumentObjectRpc, KeyObjectRpc } from "../protocol/rpc.ts";

/**
 * The stub of the object named `name`, in the configured jurisdiction and
 * with the configured location hint.
 */
function stubFor<T extends Rpc.DurableObjectBranded | undefined>(
  namespace: DurableObjectNamespace<T>,
  name: string,
  placement: Placement,
): DurableObjectStub<T> {
  const scoped = placement.jurisdiction ? namespace.jurisdiction(placement.jurisdiction) : namespace;
  const id = scoped.idFromName(name);
  return placement.locationHint ? scoped.get(id, { locationHint: placement.locationHint }) : scoped.get(id);
}

/**
 * The KeyObject named `name`, through its RPC contract (KeyObjectRpc).
 *
 * @example
 * const result = await keyObject(env, objectName, { jurisdiction: "eu" }).decide(call);
 */
export function keyObject(env: Env, name: string, placement: Placement): KeyObjectRpc {
  const stub = stubFor(env.KEYS, name, placement);
  return {
    decide: async (call) => gatewayResultOf(await stub.decide(call)),
    reserve: async (call) => {
      const reply = await stub.reserve(call);
      return "reserved" in reply ? reply : gatewayResultOf(reply);
    },
    complete: async (call, reservation, answer) => gatewayResultOf(await stub.complete(call, reservation, answer)),
    fail: (call, reservation, failure) => stub.fail(call, reservation, failure),
    runBatch: async (call) => batchRunResultOf(await stub.runBatch(call)),
    inspect: (id, options) => stub.inspect(id, options),
    list: (query) => stub.list(query),
    resolve: (id, response) => stub.resolve(id, response),
    purge: (id, options) => stub.purge(id, options),
  };
}

/**
 * The DocumentObject named `name`, through its RPC contract (DocumentObjectRpc).
 *
 * @example
 * const result = await documentObject(env, document.objectName, document.placement).run({ ...call, document });
 */
export function documentObject(env: Env, name: string, placement: Placement): DocumentObjectRpc {
  const stub = stubFor(env.DOCUMENTS, name, placement);
  return {
    run: async (call) => guardedResultOf(await stub.run(call)),
  };
}

// RPC's types (workers-types' `Rpc.Stubify`) turn every array into a plain one, tuples included, so a
// `[name, value]` header pair arrives typed `string[]`. The values are the pairs the object sent.

function headerListOf(wire: string[][]): HeaderList {
  return wire.map(([name = "", value = ""]) => [name, value]);
}

function gatewayResultOf(wire: Rpc.Stubify<GatewayResult>): GatewayResult {
  if (wire.type === "error") return wire;
  const { headers } = wire;
  return { ...wire, headers: headers instanceof Headers ? headers : headerListOf(headers) };
}

function batchRunResultOf(wire: Rpc.Stubify<BatchRunResult>): BatchRunResult {
  return { ...wire, results: wire.results.map((result) => (result.type === "entry" ? result : gatewayResultOf(result))) };
}

function originResponseOf(wire: Rpc.Stubify<OriginResponse>): OriginResponse {
  return { ...wire, headers: headerListOf(wire.headers), storableHeaders: headerListOf(wire.storableHeaders) };
}

function guardedResultOf(wire: Rpc.Stubify<GuardedResult>): GuardedResult {
  return wire.ok ? originResponseOf(wire) : wire;
}

/**
 * The refusal for a call to a KeyObject of the previous version, which lacks
 * the method called (OBJECT_PROTOCOL): the runtime refuses the call before
 * the object runs anything. Undefined for any other error.
 *
 * @example
 * try { return await keyObject(env, name, placement).decide(call); } catch (error) { return olderKeyObject(error) ?? unreachable(error); }
 */
export function olderKeyObject(error: unknown): ErrorResult | undefined {
  if (!(error instanceof TypeError && error.message.startsWith("The RPC receiver does not implement"))) return undefined;
  return versionSkew("KeyObject", { sent: OBJECT_PROTOCOL, speaks: OBJECT_PROTOCOL - 1 });
}
