import { resolve } from "node:path";
import type { Json } from "miniflare";
import { unstable_readConfig } from "wrangler";
import type { DemoOrigin } from "../../../demo/orders-origin.ts";
import type { ReceivedRequest } from "../../../demo/received-request.ts";

/**
 * The IDEM_CONFIG of an example's wrangler.toml, exactly as written, except
 * that it fronts the local demo origin instead of the example's hostname.
 */
export function exampleConfig(wranglerConfig: string, originUrl: string): Json {
  const { vars } = unstable_readConfig({ config: resolve(wranglerConfig) }, { hideWarnings: true });
  return { ...(vars.IDEM_CONFIG as { [key: string]: Json }), origin: originUrl };
}

/** Sends requests to a running Worker, each labelled with a tag the demo origin logs. */
export function clientFor(workerUrl: URL, origin: DemoOrigin) {
  return {
    send(path: string, init: { method?: string; tag: string; headers?: Record<string, string>; json?: unknown }): Promise<Response> {
      const headers: Record<string, string> = { "demo-tag": init.tag, ...init.headers };
      if (init.json !== undefined) headers["content-type"] = "application/json";
      return fetch(new URL(path, workerUrl), {
        method: init.method ?? "POST",
        headers,
        body: init.json === undefined ? undefined : JSON.stringify(init.json),
      });
    },
    /** What the origin really executed for this tag. */
    executed(tag: string): ReceivedRequest[] {
      return origin.received.filter((r) => r.tag === tag);
    },
  };
}
