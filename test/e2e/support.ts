import type { Json } from "miniflare";
import { afterAll, beforeAll, inject } from "vitest";
import { type DemoOrigin, startOrdersOrigin } from "../../demo/orders-origin.ts";
import { type BundledWorker, startBundledWorker } from "../../harness/bundled-worker.ts";

export interface Stack {
  origin: DemoOrigin;
  worker: BundledWorker;
}

/**
 * Starts, for the current test file, a demo origin on 127.0.0.1 and the bundled
 * Worker in front of it with the given routes; stops both afterwards.
 *
 * @example
 * const stack = useBundledStack([{ name: "orders", path: "/orders" }]);
 * it("…", async () => { await fetch(new URL("/orders", stack().worker.url), { method: "POST" }); });
 */
export function useBundledStack(routes: Json[]): () => Stack {
  let stack: Stack | undefined;
  beforeAll(async () => {
    const origin = await startOrdersOrigin();
    const worker = await startBundledWorker({ bundle: inject("bundlePath"), config: { origin: origin.url, routes } });
    stack = { origin, worker };
  });
  afterAll(async () => {
    await stack?.worker.dispose();
    await stack?.origin.close();
  });
  return () => {
    if (!stack) throw new Error("the stack starts in beforeAll");
    return stack;
  };
}
