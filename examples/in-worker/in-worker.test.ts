/**
 * examples/in-worker inside workerd (the vitest plugin, its own project in
 * vitest.config.ts): the Worker under test is the example, whose service
 * binding to its own OrdersApi entrypoint the plugin points at the Worker
 * itself. Executions are counted in the API's own log.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

const AUTH = "Bearer in-worker-workerd";

function order(tag: string, key: string, headers: Record<string, string> = {}): Promise<Response> {
  return exports.default.fetch(
    new Request("https://api.example/orders", {
      method: "POST",
      headers: { authorization: AUTH, "content-type": "application/json", "idempotency-key": key, "demo-tag": tag, ...headers },
      body: JSON.stringify({ item: "lamp" }),
    }),
  );
}

async function executions(tag: string): Promise<number> {
  const log = await exports.default.fetch(new Request(`https://api.example/__demo/requests?tag=${tag}`));
  return ((await log.json()) as unknown[]).length;
}

describe("examples/in-worker in workerd", () => {
  it("runs POST /orders once per key through the Worker's own entrypoint, and replays it", async () => {
    const tag = crypto.randomUUID();
    const first = await order(tag, "k-1");
    expect(first.status).toBe(201);
    const retry = await order(tag, "k-1");
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.json()).toEqual(await first.json());
    expect(await executions(tag)).toBe(1);
  });

  it("remembers a lost answer as an unknown outcome and never runs the handler again", async () => {
    const tag = crypto.randomUUID();
    const lost = await order(tag, "k-lost", { "demo-reset": "1" });
    expect(lost.status).toBe(502);
    expect(await lost.json()).toMatchObject({ type: "urn:idem:problem:outcome-unknown" });
    const retry = await order(tag, "k-lost");
    expect(retry.status).toBe(502);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await executions(tag)).toBe(1);
  });
});
