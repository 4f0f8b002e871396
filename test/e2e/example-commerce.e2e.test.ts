import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoOrigin, startOrdersOrigin } from "../../demo/orders-origin.ts";
import { boundWorker } from "../../harness/bound-worker.ts";
import { type BundledWorker, buildBundle, startBundledWorker } from "../../harness/bundled-worker.ts";
import { bundledConfigFile, configFileOf } from "../../harness/config-file.ts";
import { eventually } from "../support/eventually.ts";

/**
 * examples/commerce as shipped (112 routes, three back ends), on the real bundle: only the two URL origins
 * point at demo origins on 127.0.0.1. The customers back end is a real second Worker behind the CUSTOMERS
 * service binding, as wrangler.toml declares it.
 */
const WRANGLER_CONFIG = "examples/commerce/wrangler.toml";
const SECRET = "payments-origin-auth-3b9e07c1d2a4f586";
const AUTH = { authorization: "Bearer shop-key-1" };

let orders: DemoOrigin;
let payments: DemoOrigin;
let worker: BundledWorker;
let bundle: string;

const workers = [boundWorker("commerce-customers")];

beforeAll(async () => {
  orders = await startOrdersOrigin();
  payments = await startOrdersOrigin();
  const { config } = configFileOf(WRANGLER_CONFIG);
  const origins = config.origins as Record<string, Record<string, unknown>>;
  const local = { ...config, origin: orders.url, origins: { ...origins, payments: { ...origins.payments, url: payments.url } } };
  bundle = buildBundle(WRANGLER_CONFIG, ".wrangler/commerce", bundledConfigFile(local));
  worker = await startBundledWorker({ bundle, wranglerConfig: WRANGLER_CONFIG, bindings: { PAYMENTS_ORIGIN_AUTH: SECRET }, workers });
});
afterAll(async () => {
  await worker?.dispose();
  await orders?.close();
  await payments?.close();
});

function send(
  path: string,
  init: { method?: string; tag: string; key?: string; json?: unknown; headers?: Record<string, string>; signal?: AbortSignal },
) {
  const headers: Record<string, string> = { ...AUTH, "demo-tag": init.tag, ...init.headers };
  if (init.key !== undefined) headers["idempotency-key"] = init.key;
  if (init.json !== undefined) headers["content-type"] = "application/json";
  return fetch(new URL(path, worker.url), {
    method: init.method ?? "POST",
    headers,
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
    signal: init.signal,
  });
}

const at = (origin: DemoOrigin, tag: string) => origin.received.filter((r) => r.tag === tag);

/** What the customers Worker received with this tag, read through Idem's own catch-all route to it. */
async function customersLog(tag: string): Promise<{ path: string }[]> {
  const response = await fetch(new URL(`/customers/__demo/requests?tag=${tag}`, worker.url), { headers: AUTH });
  return (await response.json()) as { path: string }[];
}

describe("examples/commerce, end to end on a sample of its routes", () => {
  it("runs a keyed order once at the orders back end and replays it", async () => {
    const tag = "commerce-order-keyed";
    const first = await send("/orders", { tag, key: "o-1", json: { customerId: "c1", cartId: "k1", lines: [{ sku: "A", quantity: 1 }] } });
    const retry = await send("/orders", { tag, key: "o-1", json: { customerId: "c1", cartId: "k1", lines: [{ sku: "A", quantity: 1 }] } });
    expect(first.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(at(orders, tag)).toHaveLength(1);
  });

  it("takes an order resent without a key for the same one (dedup on customer, cart and lines)", async () => {
    const tag = "commerce-order-dedup";
    const order = {
      customerId: "c2",
      cartId: "k2",
      currency: "EUR",
      lines: [
        { sku: "A", quantity: 2 },
        { sku: "B", quantity: 1 },
      ],
    };
    const first = await send("/orders", { tag, json: order });
    const resent = await send("/orders", { tag, json: { ...order, lines: [...order.lines].reverse() } });
    expect(resent.headers.get("idempotent-replayed")).toBe("true");
    expect(await resent.text()).toBe(await first.text());
    const other = await send("/orders", { tag, json: { ...order, lines: [{ sku: "A", quantity: 3 }] } });
    expect(other.headers.get("idempotent-replayed")).toBeNull();
    expect(at(orders, tag)).toHaveLength(2);
  });

  it("refuses a cart created without a key (keys are required by default)", async () => {
    const response = await send("/carts", { tag: "commerce-cart" });
    expect(response.status).toBe(400);
    expect((await response.json()) as { type: string }).toMatchObject({ type: "urn:idem:problem:key-required" });
    expect(at(orders, "commerce-cart")).toHaveLength(0);
  });

  it("sends payments to the payments back end with X-Origin-Auth from the secret, and refuses a reused key", async () => {
    const tag = "commerce-payment";
    expect((await send("/payments", { tag, key: "p-1", json: { orderId: "o1", amount: 500, currency: "EUR" } })).status).toBe(200);
    expect((await send("/payments/pay_1/capture", { tag, key: "p-2", json: { amount: 500 } })).status).toBe(200);
    expect((await send("/payouts/po_1", { tag, method: "GET" })).status).toBe(200);
    const reused = await send("/payments", { tag, key: "p-1", json: { orderId: "o1", amount: 900, currency: "EUR" } });
    expect(reused.status).toBe(422);
    expect(at(payments, tag).map((r) => [r.method, r.path, r.headers["x-origin-auth"]])).toEqual([
      ["POST", "/payments", SECRET],
      ["POST", "/payments/pay_1/capture", SECRET],
      ["GET", "/payouts/po_1", SECRET],
    ]);
    expect(at(orders, tag)).toHaveLength(0);
  });

  it("reaches the customers Worker through its service binding: once, then replayed", async () => {
    const tag = "commerce-customer";
    const first = await send("/customers", { tag, key: "cu-1", json: { email: "a@example.com" } });
    const retry = await send("/customers", { tag, key: "cu-1", json: { email: "a@example.com" } });
    expect(first.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    const mismatch = await send("/customers", { tag, key: "cu-1", json: { email: "b@example.com" } });
    expect(mismatch.status).toBe(422);
    expect((await customersLog(tag)).map((r) => r.path)).toEqual(["/customers"]);
  });

  it("completes a bound Worker's exchange after the client has gone, and replays it to the retry", async () => {
    const tag = "commerce-customer-disconnect";
    const client = new AbortController();
    const json = { email: "slow@example.com" };
    const gone = send("/customers", { tag, key: "cu-slow", json, headers: { "demo-delay": "800" }, signal: client.signal });
    // Abort once the Worker has the request: the exchange belongs to the record's Durable Object, not to this connection.
    await eventually(async () => ((await customersLog(tag)).length === 1 ? true : undefined), { waitingFor: "the customers Worker to receive it" });
    client.abort();
    await gone.catch(() => undefined);
    const retry = await send("/customers", { tag, key: "cu-slow", json });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await customersLog(tag)).toHaveLength(1);
  });

  it("answers a failure of the bound Worker like any origin failure, linking what to do", async () => {
    const tag = "commerce-customer-fails";
    const failed = await send("/customers/cus_1/merge", { tag, key: "cu-f", headers: { "demo-throw": "1" } });
    expect(failed.status).toBe(502);
    expect((await failed.json()) as { type: string }).toMatchObject({ type: "urn:idem:problem:outcome-unknown", failure: "origin-unreachable" });
    expect(failed.headers.get("link")).toBe('</__idem/problems/outcome-unknown>; rel="describedby"; type="text/html"');
    const docs = await fetch(new URL("/__idem/problems/outcome-unknown", worker.url));
    expect(await docs.text()).toContain("Idem remembers this and never sends the request again");
  });

  it("sends what no route names to the orders back end as it is", async () => {
    const tag = "commerce-other";
    expect((await send("/reports/daily?day=2026-12-01", { tag, method: "GET" })).status).toBe(200);
    expect(at(orders, tag).map((r) => r.path)).toEqual(["/reports/daily?day=2026-12-01"]);
  });

  it("refuses to start without the payments secret, naming the origin header that needs it", async () => {
    const failure = await startBundledWorker({ bundle, wranglerConfig: WRANGLER_CONFIG, workers }).then(
      async (started) => {
        const text = await (await fetch(new URL("/orders", started.url), { method: "POST" })).text();
        await started.dispose();
        return text;
      },
      (error: Error) => error.message,
    );
    expect(failure).toContain("origins.payments.headers.x-origin-auth: the secret PAYMENTS_ORIGIN_AUTH is not set");
  });
});
