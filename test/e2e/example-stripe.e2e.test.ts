import { describe, expect, it } from "vitest";
import { startOrdersOrigin } from "../../demo/orders-origin.ts";
import { eventually } from "../support/eventually.ts";
import { clientFor } from "./support/demo-client.ts";
import { useBundledStack } from "./support/stack.ts";

const client = clientFor(useBundledStack({ origin: startOrdersOrigin, example: "examples/stripe/wrangler.toml" }));

const apiKey = { authorization: "Bearer sk_test_alice" };

interface StripeError {
  error: { type: string; code: string; message: string };
}

describe("examples/stripe: Stripe's idempotency promise in front of a plain JSON API", () => {
  it("runs a keyed POST once and replays it, marked Idempotent-Replayed", async () => {
    const tag = "stripe-replay";
    const charge = { headers: { ...apiKey, "idempotency-key": "charge-1" }, json: { amount: 2000, currency: "eur" }, tag };
    const first = await client.send("/v1/charges", charge);
    const retry = await client.send("/v1/charges", charge);
    expect(first.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.text()).toBe(await first.text());
    expect(client.executed(tag)).toHaveLength(1);
  });

  it("answers 400 idempotency_key_reused in Stripe's envelope when the parameters change", async () => {
    const tag = "stripe-reuse";
    const headers = { ...apiKey, "idempotency-key": "charge-2" };
    await client.send("/v1/charges", { headers, json: { amount: 2000 }, tag });
    const reused = await client.send("/v1/charges", { headers, json: { amount: 3000 }, tag });
    expect(reused.status).toBe(400);
    const body = (await reused.json()) as StripeError;
    expect(body.error.type).toBe("idempotency_error");
    expect(body.error.code).toBe("idempotency_key_reused");
    expect(client.executed(tag)).toHaveLength(1);
  });

  it("keeps keys apart per API key and per connected account", async () => {
    const tag = "stripe-scope";
    const json = { amount: 100 };
    const key = { "idempotency-key": "shared-key" };
    await client.send("/v1/charges", { headers: { ...apiKey, ...key }, json, tag });
    const bob = await client.send("/v1/charges", { headers: { authorization: "Bearer sk_test_bob", ...key }, json, tag });
    const connected = await client.send("/v1/charges", { headers: { ...apiKey, ...key, "stripe-account": "acct_1" }, json, tag });
    expect(bob.headers.get("idempotent-replayed")).toBeNull();
    expect(connected.headers.get("idempotent-replayed")).toBeNull();
    expect(client.executed(tag)).toHaveLength(3);
  });

  it("answers 409 idempotency_key_in_use at once while the first request still runs", async () => {
    const tag = "stripe-concurrent";
    const charge = { headers: { ...apiKey, "idempotency-key": "slow-1", "demo-delay": "800" }, json: { amount: 1 }, tag };
    const first = client.send("/v1/charges", charge);
    // The second starts once the origin has the first: the record is then surely in flight.
    await eventually(() => client.executed(tag)[0]);
    const second = await client.send("/v1/charges", charge);
    expect(second.status).toBe(409);
    expect(((await second.json()) as StripeError).error.code).toBe("idempotency_key_in_use");
    expect((await first).status).toBe(200);
    expect(client.executed(tag)).toHaveLength(1);
  });

  it("replays a 500 like any other answer", async () => {
    const tag = "stripe-500";
    const first = await client.send("/v1/charges", { headers: { ...apiKey, "idempotency-key": "boom", "demo-status": "500" }, json: {}, tag });
    const retry = await client.send("/v1/charges", { headers: { ...apiKey, "idempotency-key": "boom" }, json: {}, tag });
    expect(first.status).toBe(500);
    expect(retry.status).toBe(500);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(client.executed(tag)).toHaveLength(1);
  });

  it("ignores keys on GET and DELETE", async () => {
    const tag = "stripe-get";
    for (const method of ["GET", "GET", "DELETE", "DELETE"]) {
      const response = await client.send("/v1/charges/ch_1", { method, headers: { ...apiKey, "idempotency-key": "k" }, tag });
      expect(response.headers.get("idempotent-replayed")).toBeNull();
    }
    expect(client.executed(tag)).toHaveLength(4);
  });
});
