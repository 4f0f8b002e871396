import type { Json } from "miniflare";
import { afterAll, beforeAll, inject } from "vitest";
import { type BundledWorker, startBundledWorker } from "../../../harness/bundled-worker.ts";
import { idemConfigOf } from "../../../harness/wrangler-config.ts";

/** What the stack needs of an origin: both demo origins qualify. */
interface Origin {
  url: string;
  close(): Promise<void>;
}

export interface Stack<O extends Origin> {
  origin: O;
  worker: BundledWorker;
}

export type StackOptions<O extends Origin> = {
  /** Starts the origin on 127.0.0.1, e.g. `startOrdersOrigin` or `startErplyOrigin`. */
  origin: () => Promise<O>;
  /** Extra bindings, e.g. ADMIN_TOKEN. */
  bindings?: Record<string, string>;
} & (
  | {
      /** Routes to run with the top-level wrangler.toml's bindings. */
      routes: Json[];
      /** Other top-level config fields to run with, e.g. `originTimeoutMs`, `defaults`. */
      settings?: { [field: string]: Json };
      example?: never;
    }
  | {
      /** An example's wrangler file: its bindings and its `[vars.IDEM_CONFIG]` as shipped; only the origin differs. */
      example: string;
      routes?: never;
      settings?: never;
    }
);

/**
 * Starts, for the current test file (or `describe` block), an origin on
 * 127.0.0.1 and the bundled Worker in front of it; stops both afterwards.
 *
 * @example
 * const stack = useBundledStack({ origin: startOrdersOrigin, routes: [{ name: "orders", path: "/orders" }] });
 * it("…", async () => { await fetch(new URL("/orders", stack().worker.url), { method: "POST" }); });
 *
 * const erply = useBundledStack({ origin: startErplyOrigin, example: "examples/erply/wrangler.toml" });
 */
export function useBundledStack<O extends Origin>(options: StackOptions<O>): () => Stack<O> {
  let stack: Stack<O> | undefined;
  beforeAll(async () => {
    const origin = await options.origin();
    const config: Json =
      options.example === undefined
        ? { ...options.settings, origin: origin.url, routes: options.routes }
        : { ...idemConfigOf(options.example), origin: origin.url };
    const worker = await startBundledWorker({
      bundle: inject("bundlePath"),
      config,
      wranglerConfig: options.example,
      bindings: options.bindings,
    });
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
