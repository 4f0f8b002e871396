import type { Placement } from "../protocol/messages.ts";

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
