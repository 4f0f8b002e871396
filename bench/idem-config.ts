/** The Idem config every benchmark runs. */

export type KeyspaceStrategy = "per-key" | "sharded";

/**
 * One create route with all defaults, in the chosen keyspace (sharded is
 * the default; it is spelled out so the bench says what it measures).
 *
 * @example
 * benchConfig("http://127.0.0.1:9000", "sharded")
 */
export function benchConfig(originUrl: string, strategy: KeyspaceStrategy) {
  return { origin: originUrl, keyspace: { strategy }, routes: [{ name: "create-order", path: "/orders" }] };
}
