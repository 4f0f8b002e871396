import { env } from "cloudflare:workers";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/load.ts";
import { loadConfigFrom } from "../src/config/sources.ts";
import { handlerFor } from "../src/worker/handler.ts";
import { clientRequest, newTag, originLog } from "./support/gateway.ts";

/** examples/commerce/idem.config.toml as shipped, read in workerd by the Worker's own loader. */
const FILE = env.COMMERCE_CONFIG_FILE;

describe("examples/commerce's config file, in workerd", () => {
  it("loads with its 112 routes over three origins, and its [env.production] section", () => {
    const local = loadConfigFrom({ file: FILE, variable: undefined });
    expect(local.routes).toHaveLength(112);
    expect(new Set(local.routes.map((r) => r.origin.name))).toEqual(new Set(["origin", "payments", "customers"]));
    const production = loadConfigFrom({ file: FILE, variable: undefined, environment: "production" });
    expect(production.origin).toMatchObject({ base: "https://orders.internal.example.com" });
    expect(production.origins.payments).toMatchObject({ base: "https://payments.internal.example.com" });
    expect(production.routes).toHaveLength(112);
  });

  it("runs a sample of its routes in front of the demo origin and the bound Worker", async () => {
    // The shipped file, its back ends pointed at this test run's: the demo origin, and the bound Worker as CUSTOMERS.
    const { env: _sections, ...shipped } = parse(FILE) as Record<string, unknown>;
    const origins = {
      payments: { url: env.ORIGIN_URL, headers: { "X-Origin-Auth": { secret: "ORIGIN_AUTH_SECRET" } } },
      customers: { service: "BOUND_ORIGIN" },
    };
    const worker = handlerFor(loadConfig({ ...shipped, origin: env.ORIGIN_URL, origins }));
    const send = (request: Request) => worker.fetch(request, env);
    const tag = newTag();
    const auth = "Bearer shop-key-1";

    const payment = await send(clientRequest("/payments/pay_9/refunds", { tag, auth, key: "rf-1", json: { amount: 100 } }));
    const again = await send(clientRequest("/payments/pay_9/refunds", { tag, auth, key: "rf-1", json: { amount: 100 } }));
    expect(payment.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const received = await originLog(tag);
    expect(received.map((r) => [r.path, r.headers["x-origin-auth"]])).toEqual([["/payments/pay_9/refunds", env.ORIGIN_AUTH_SECRET]]);

    const customer = await send(clientRequest("/customers", { tag, auth, key: "cu-9", json: { email: "w@example.com" } }));
    expect(customer.status).toBe(201);
    expect(await customer.json()).toMatchObject({ path: "/customers" });

    const noKey = await send(clientRequest("/invoices/inv_1/void", { tag, auth }));
    expect(noKey.status).toBe(400);
  });
});
