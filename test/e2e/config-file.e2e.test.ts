import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoOrigin, startOrdersOrigin } from "../../demo/orders-origin.ts";
import { boundWorker } from "../../harness/bound-worker.ts";
import { buildBundle, startBundledWorker } from "../../harness/bundled-worker.ts";
import { bundledConfigFile, type ConfigTable } from "../../harness/config-file.ts";
import { TEST_CALLER } from "../support/caller.ts";

/** A wrangler config that bundles its Idem config file (examples/commerce): the bundle built here carries `config`. */
const WRANGLER_CONFIG = "examples/commerce/wrangler.toml";
/** The Worker its CUSTOMERS service binding names. */
const workers = [boundWorker("commerce-customers")];

function bundleWith(config: ConfigTable, name: string): string {
  return buildBundle(WRANGLER_CONFIG, `.wrangler/config-file-${name}`, bundledConfigFile(config));
}

/** Starts a bundle and returns its start-up failure (or the first answer's text, if it started). */
async function startupFailure(bundle: string, bindings: Record<string, string> = {}, config?: Record<string, string>): Promise<string> {
  return startBundledWorker({ bundle, wranglerConfig: WRANGLER_CONFIG, bindings, config, workers }).then(
    async (worker) => {
      const text = await (await fetch(new URL("/orders", worker.url), { method: "POST" })).text();
      await worker.dispose();
      return text;
    },
    (error: Error) => error.message,
  );
}

describe("a config file bundled into the Worker", () => {
  let origin: DemoOrigin;
  beforeAll(async () => {
    origin = await startOrdersOrigin();
  });
  afterAll(() => origin.close());

  it("is the config the bundle runs, with the [env.<name>] section IDEM_ENV names", async () => {
    const bundle = bundleWith(
      {
        origin: "http://127.0.0.1:9",
        routes: [{ name: "create-order", path: "/orders" }],
        env: { e2e: { origin: origin.url, defaults: { ttlSeconds: 120 } } },
      },
      "env",
    );
    const worker = await startBundledWorker({ bundle, wranglerConfig: WRANGLER_CONFIG, bindings: { IDEM_ENV: "e2e" }, workers });
    try {
      const send = () =>
        fetch(new URL("/orders", worker.url), {
          method: "POST",
          headers: { authorization: TEST_CALLER, "idempotency-key": "file-1", "demo-tag": "config-file-1" },
        });
      const first = await send();
      const retry = await send();
      expect(first.status).toBe(201);
      expect(retry.headers.get("idempotent-replayed")).toBe("true");
      // 120 s from [env.e2e]'s defaults: the record expires within ~2 minutes, not the top level's 24 h.
      const expires = Date.parse(retry.headers.get("idempotency-expires") ?? "");
      expect(expires - Date.now()).toBeLessThanOrEqual(120_000);
      expect(origin.received.filter((r) => r.tag === "config-file-1")).toHaveLength(1);
    } finally {
      await worker.dispose();
    }
  });

  it("refuses to start when the file is wrong, naming the file and the field", async () => {
    const bundle = bundleWith({ origin: origin.url, routes: [{ name: "create-order", path: "orders" }] }, "bad");
    const failure = await startupFailure(bundle);
    expect(failure).toContain("Invalid Idem config in idem.config.toml");
    // workerd logs the message as JSON, its quotes escaped.
    expect(failure.replaceAll('\\"', '"')).toContain('routes["create-order"].path: must start with /');
  });

  it("refuses to start when IDEM_CONFIG is set too, saying to keep one", async () => {
    const bundle = bundleWith({ origin: origin.url, routes: [] }, "both");
    const failure = await startupFailure(bundle, {}, { origin: origin.url });
    expect(failure).toContain("IDEM_CONFIG: is set, and the config file idem.config.toml is bundled too; keep one of them");
  });
});
