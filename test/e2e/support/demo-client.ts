import type { DemoOrigin } from "../../../demo/orders-origin.ts";
import type { ReceivedRequest } from "../../../demo/received-request.ts";
import { TEST_CALLER } from "../../support/caller.ts";
import type { Stack } from "./stack.ts";

/**
 * Sends requests to the stack's Worker, each labelled with a tag the demo origin logs, from TEST_CALLER unless `headers` say otherwise.
 *
 * @example
 * const client = clientFor(useBundledStack({ origin: startOrdersOrigin, example: "examples/printone/wrangler.toml" }));
 * await client.send("/v1/charges", { tag, headers: { "idempotency-key": "k" }, json: { amount: 1 } });
 * expect(client.executed(tag)).toHaveLength(1);
 */
export function clientFor(stack: () => Stack<DemoOrigin>) {
  return {
    send(path: string, init: { method?: string; tag: string; headers?: Record<string, string>; json?: unknown }): Promise<Response> {
      const headers: Record<string, string> = { "demo-tag": init.tag, authorization: TEST_CALLER, ...init.headers };
      if (init.json !== undefined) headers["content-type"] = "application/json";
      return fetch(new URL(path, stack().worker.url), {
        method: init.method ?? "POST",
        headers,
        body: init.json === undefined ? undefined : JSON.stringify(init.json),
      });
    },
    /** What the origin really executed for this tag. */
    executed(tag: string): ReceivedRequest[] {
      return stack().origin.received.filter((r) => r.tag === tag);
    },
  };
}
