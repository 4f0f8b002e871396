/**
 * Stripe's idempotency promise, as tests, with examples/stripe/wrangler.toml
 * as shipped, in front of the Stripe-like origin (examples/stripe/origin.ts:
 * v1 reads form-encoded bodies, v2 JSON). They run inside workerd
 * (test/stripe.test.ts) and against the wrangler-built bundle over real HTTP
 * (test/e2e/example-stripe.e2e.test.ts).
 */
import { describe, expect, it } from "vitest";
import type { ReceivedRequest } from "../../demo/received-request.ts";
import { eventually } from "./eventually.ts";
import { newTag, originLogAt } from "./origin-log.ts";

/** Idem with the Stripe example config and the Stripe-like origin behind it. */
export interface StripeTarget {
  send(request: Request): Promise<Response>;
  base: string;
  originUrl: string;
}

interface StripeError {
  error: { type: string; code: string; message: string };
}

interface Call {
  method?: string;
  tag: string;
  headers?: Record<string, string>;
  /** A v1 body: form-encoded, as Stripe's libraries send it. */
  form?: Record<string, string>;
  /** A v2 body: JSON. */
  json?: unknown;
}

function stripeRequest(base: string, path: string, call: Call): Request {
  const headers = new Headers({ authorization: "Bearer sk_test_platform", "demo-tag": call.tag, ...call.headers });
  let body: string | undefined;
  if (call.form) {
    headers.set("content-type", "application/x-www-form-urlencoded");
    body = new URLSearchParams(call.form).toString();
  } else if (call.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(call.json);
  }
  return new Request(new URL(path, base), { method: call.method ?? "POST", headers, body });
}

/**
 * Registers the Stripe example's tests for one way of reaching Idem.
 *
 * @example
 * stripeProofs(() => ({ send: (request) => fetch(request), base: worker.url.href, originUrl: origin.url }));
 */
export function stripeProofs(target: () => StripeTarget): void {
  const send = (path: string, call: Call) => target().send(stripeRequest(target().base, path, call));
  const executed = (tag: string) => originLogAt<ReceivedRequest>(target().originUrl, tag);
  const key = () => ({ "idempotency-key": newTag() });

  describe("examples/stripe: Stripe's idempotency promise, as shipped", () => {
    describe("v1 (form-encoded bodies)", () => {
      it("runs a keyed POST once and replays it, marked Idempotent-Replayed", async () => {
        const tag = newTag();
        const charge = { tag, headers: key(), form: { amount: "2000", currency: "eur" } };
        const first = await send("/v1/charges", charge);
        const retry = await send("/v1/charges", charge);
        expect(first.status).toBe(200);
        expect(retry.headers.get("idempotent-replayed")).toBe("true");
        expect(await retry.text()).toBe(await first.text());
        expect(await executed(tag)).toHaveLength(1);
      });

      it("answers 400 idempotency_key_reused in Stripe's envelope when the parameters change", async () => {
        const tag = newTag();
        const headers = key();
        await send("/v1/charges", { tag, headers, form: { amount: "2000" } });
        const reused = await send("/v1/charges", { tag, headers, form: { amount: "3000" } });
        expect(reused.status).toBe(400);
        expect(((await reused.json()) as StripeError).error).toMatchObject({ type: "idempotency_error", code: "idempotency_key_reused" });
        expect(await executed(tag)).toHaveLength(1);
      });

      it("answers 409 idempotency_key_in_use at once while the first request still runs", async () => {
        const tag = newTag();
        const charge = { tag, headers: { ...key(), "demo-delay": "800" }, form: { amount: "1" } };
        const first = send("/v1/charges", charge);
        // The second starts once the origin has the first: the record is then surely in flight.
        await eventually(async () => (await executed(tag))[0]);
        const second = await send("/v1/charges", charge);
        expect(second.status).toBe(409);
        expect(((await second.json()) as StripeError).error.code).toBe("idempotency_key_in_use");
        expect((await first).status).toBe(200);
        expect(await executed(tag)).toHaveLength(1);
      });

      it("replays a 500 like any other answer", async () => {
        const tag = newTag();
        const headers = key();
        const first = await send("/v1/charges", { tag, headers: { ...headers, "demo-status": "500" }, form: {} });
        const retry = await send("/v1/charges", { tag, headers, form: {} });
        expect([first.status, retry.status]).toEqual([500, 500]);
        expect(retry.headers.get("idempotent-replayed")).toBe("true");
        expect(await executed(tag)).toHaveLength(1);
      });

      it("ignores keys on GET and DELETE", async () => {
        const tag = newTag();
        const headers = { "idempotency-key": "k" };
        for (const method of ["GET", "GET", "DELETE", "DELETE"]) {
          expect((await send("/v1/charges/ch_1", { method, tag, headers })).headers.get("idempotent-replayed")).toBeNull();
        }
        expect(await executed(tag)).toHaveLength(4);
      });
    });

    describe("callers: one API key, several accounts", () => {
      it.each([
        ["Stripe-Context", "stripe-context"],
        ["Stripe-Account", "stripe-account"],
      ])("keeps one key of two connected accounts apart by %s", async (_, header) => {
        const tag = newTag();
        const headers = key();
        const create = (account: string) =>
          send("/v1/customers", { tag, headers: { ...headers, [header]: account }, form: { email: "a@example.com" } });
        const a = (await (await create("acct_A")).json()) as { id: string; account: string };
        const bResponse = await create("acct_B");
        expect(bResponse.headers.get("idempotent-replayed")).toBeNull();
        const b = (await bResponse.json()) as { id: string; account: string };
        expect([a.account, b.account]).toEqual(["acct_A", "acct_B"]);
        expect(b.id).not.toBe(a.id);
        expect((await create("acct_A")).headers.get("idempotent-replayed")).toBe("true");
        expect(await executed(tag)).toHaveLength(2);
      });

      it("refuses a keyed request without an API key with 401, in Stripe's envelope, without calling the API", async () => {
        const tag = newTag();
        const request = stripeRequest(target().base, "/v1/customers", { tag, headers: key(), form: {} });
        request.headers.delete("authorization");
        const refused = await target().send(request);
        expect(refused.status).toBe(401);
        expect(((await refused.json()) as StripeError).error.code).toBe("api_key_required");
        expect(await executed(tag)).toHaveLength(0);
      });

      it("keeps one key of two API keys apart", async () => {
        const tag = newTag();
        const headers = key();
        await send("/v1/customers", { tag, headers, form: {} });
        const other = await send("/v1/customers", { tag, headers: { ...headers, authorization: "Bearer sk_test_other" }, form: {} });
        expect(other.headers.get("idempotent-replayed")).toBeNull();
        expect(await executed(tag)).toHaveLength(2);
      });
    });

    describe("v2 (JSON bodies)", () => {
      it("runs a keyed POST once and replays its success", async () => {
        const tag = newTag();
        const create = { tag, headers: key(), json: { display_name: "Acme", include: ["configuration.customer"] } };
        const first = await send("/v2/core/accounts", create);
        const retry = await send("/v2/core/accounts", create);
        expect(first.status).toBe(200);
        expect(retry.headers.get("idempotent-replayed")).toBe("true");
        expect(await retry.text()).toBe(await first.text());
        expect(await executed(tag)).toHaveLength(1);
      });

      it("does not keep a failed attempt: a retry with the same key runs again, and its success is kept", async () => {
        const tag = newTag();
        const headers = key();
        const failed = await send("/v2/core/accounts", { tag, headers: { ...headers, "demo-status": "500" }, json: { display_name: "Acme" } });
        expect(failed.status).toBe(500);
        const retried = await send("/v2/core/accounts", { tag, headers, json: { display_name: "Acme" } });
        expect(retried.status).toBe(200);
        expect(retried.headers.get("idempotent-replayed")).toBeNull();
        const again = await send("/v2/core/accounts", { tag, headers, json: { display_name: "Acme" } });
        expect(again.headers.get("idempotent-replayed")).toBe("true");
        expect(await executed(tag)).toHaveLength(2);
      });

      it("takes keys on DELETE too", async () => {
        const tag = newTag();
        const headers = key();
        await send("/v2/core/event_destinations/ed_1", { method: "DELETE", tag, headers });
        const retry = await send("/v2/core/event_destinations/ed_1", { method: "DELETE", tag, headers });
        expect(retry.headers.get("idempotent-replayed")).toBe("true");
        expect(await executed(tag)).toHaveLength(1);
      });

      it("answers 400 idempotency_key_reused when the JSON parameters change", async () => {
        const tag = newTag();
        const headers = key();
        await send("/v2/core/accounts", { tag, headers, json: { display_name: "Acme" } });
        const reused = await send("/v2/core/accounts", { tag, headers, json: { display_name: "Other" } });
        expect(reused.status).toBe(400);
        expect(((await reused.json()) as StripeError).error.code).toBe("idempotency_key_reused");
        expect(await executed(tag)).toHaveLength(1);
      });

      it("keeps one key of two accounts apart by Stripe-Context", async () => {
        const tag = newTag();
        const headers = key();
        await send("/v2/core/accounts", { tag, headers: { ...headers, "stripe-context": "acct_A" }, json: {} });
        const b = await send("/v2/core/accounts", { tag, headers: { ...headers, "stripe-context": "acct_B" }, json: {} });
        expect(b.headers.get("idempotent-replayed")).toBeNull();
        expect(await executed(tag)).toHaveLength(2);
      });
    });
  });
}
