import { OBJECT_PROTOCOL, type Placement } from "../protocol/messages.ts";
import { type ErrorResult, versionSkew } from "../protocol/results.ts";

/**
 * The stub of the object named `name`, in the configured jurisdiction and
 * with the configured location hint.
 *
 * @example
 * const stub = stubFor(env.KEYS, objectName, { jurisdiction: "eu" });
 */
export function stubFor<T extends Rpc.DurableObjectBranded | undefined>(
  namespace: DurableObjectNamespace<T>,
  name: string,
  placement: Placement,
): DurableObjectStub<T> {
  const scoped = placement.jurisdiction ? namespace.jurisdiction(placement.jurisdiction) : namespace;
  const id = scoped.idFromName(name);
  return placement.locationHint ? scoped.get(id, { locationHint: placement.locationHint }) : scoped.get(id);
}

/**
 * The refusal for a call to a KeyObject of the previous version, which lacks
 * the method called (OBJECT_PROTOCOL): the runtime refuses the call before
 * the object runs anything. Undefined for any other error.
 *
 * @example
 * try { return await stub.decide(call); } catch (error) { return olderKeyObject(error) ?? unreachable(error); }
 */
export function olderKeyObject(error: unknown): ErrorResult | undefined {
  if (!(error instanceof TypeError && error.message.startsWith("The RPC receiver does not implement"))) return undefined;
  return versionSkew("KeyObject", { sent: OBJECT_PROTOCOL, speaks: OBJECT_PROTOCOL - 1 });
}
