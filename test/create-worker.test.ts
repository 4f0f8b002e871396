import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ConfigError, createWorker, defineConfig } from "../src/index.ts";
import { newTag, TEST_CALLER } from "./support/gateway.ts";
import { originLogAt } from "./support/origin-log.ts";

/** A keyed order from TEST_CALLER, tagged so the demo origin's log tells how often it ran. */
const order = (tag: string, key: string) =>
  new Request("https://idem.test/orders", {
    method: "POST",
    headers: { "content-type": "application/json", "idempotency-key": key, "demo-tag": tag, authorization: TEST_CALLER },
    body: JSON.stringify({ item: "book" }),
  });

describe("createWorker: the gateway from a config in code (docs/package.md)", () => {
  it("takes a typed object: the retry replays, the origin runs the order once", async () => {
    const worker = createWorker(defineConfig({ origin: env.ORIGIN_URL, routes: [{ name: "create-order", path: "/orders" }] }));
    const tag = newTag();
    const first = await worker.fetch(order(tag, `k-${tag}`), env);
    const retry = await worker.fetch(order(tag, `k-${tag}`), env);
    expect(first.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.text()).toBe(await first.text());
    expect(await originLogAt(env.ORIGIN_URL, tag)).toHaveLength(1);
  });

  it("takes the text of a config file, TOML or JSON", async () => {
    const toml = createWorker(`origin = "${env.ORIGIN_URL}"\n[[routes]]\nname = "create-order"\npath = "/orders"\n`);
    const json = createWorker(JSON.stringify({ origin: env.ORIGIN_URL, routes: [{ name: "create-order", path: "/orders" }] }));
    for (const worker of [toml, json]) {
      const tag = newTag();
      await worker.fetch(order(tag, `k-${tag}`), env);
      expect((await worker.fetch(order(tag, `k-${tag}`), env)).headers.get("idempotent-replayed")).toBe("true");
    }
  });

  it("refuses a bad config when called, naming where it came from and the field", () => {
    const bad = { origin: env.ORIGIN_URL, routes: [{ name: "create-order", pth: "/orders" }] };
    let thrown: unknown;
    try {
      createWorker(bad as unknown as Parameters<typeof createWorker>[0]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).source).toBe("the config given to createWorker");
    expect((thrown as ConfigError).problems.join("\n")).toMatch(/^routes\[[^\]]+\]\.pth: unknown field/m);
  });
});
