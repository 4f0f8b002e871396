import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type DemoOrigin, startOrdersOrigin } from "../../demo/orders-origin.ts";
import { type BundledWorker, startBundledWorker } from "../../harness/bundled-worker.ts";
import { TEST_CALLER } from "../support/caller.ts";

/** An origin chosen by the request (issue 12, "per-account hosts"), on the bundle: a template and its allowHosts. */
let origin: DemoOrigin;
let worker: BundledWorker;

beforeAll(async () => {
  origin = await startOrdersOrigin();
  worker = await startBundledWorker({
    bundle: inject("bundlePath"),
    config: {
      origin: origin.url,
      origins: {
        account: { url: `${origin.url}/accounts/{query:account}`, allowHosts: ["127.0.0.1"] },
        erply: { url: "https://{param:clientCode}.erply.com", allowHosts: ["*.erply.com"] },
      },
      routes: [
        { name: "orders", path: "/orders", origin: "account" },
        { name: "erply", path: "/api/", origin: "erply", errors: { format: "erply" } },
      ],
    },
  });
});
afterAll(async () => {
  await worker?.dispose();
  await origin?.close();
});

const post = (path: string, headers: Record<string, string>, body?: string) => fetch(new URL(path, worker.url), { method: "POST", headers, body });

describe("an origin chosen by the request, on the bundle", () => {
  it("fills the origin per account and keeps each account's records apart", async () => {
    const headers = { authorization: TEST_CALLER, "idempotency-key": "same-key", "demo-tag": "origins-e2e" };
    const acme = await post("/orders?account=acme", headers);
    const globex = await post("/orders?account=globex", headers);
    const acmeRetry = await post("/orders?account=acme", headers);
    expect(globex.headers.get("idempotent-replayed")).toBeNull();
    expect(acmeRetry.headers.get("idempotent-replayed")).toBe("true");
    expect(await acmeRetry.text()).toBe(await acme.text());
    expect(origin.received.filter((r) => r.tag === "origins-e2e").map((r) => r.path)).toEqual([
      "/accounts/acme/orders?account=acme",
      "/accounts/globex/orders?account=globex",
    ]);
  });

  it("refuses a request whose fields would name another host, in the route's error format, and links its documentation", async () => {
    const form = new URLSearchParams({ request: "saveSalesDocument", clientCode: "evil.example.com#" }).toString();
    const refused = await post("/api/", { "content-type": "application/x-www-form-urlencoded" }, form);
    expect(refused.status).toBe(200);
    const body = (await refused.json()) as { status: { responseStatus: string; errorCode: number; errorField: string } };
    expect(body.status).toMatchObject({ responseStatus: "error", errorCode: 400, errorField: "clientCode" });
    const docs = await fetch(new URL("/__idem/problems/origin-not-allowed", worker.url));
    expect(refused.headers.get("link")).toBe('</__idem/problems/origin-not-allowed>; rel="describedby"; type="text/html"');
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("The request names no allowed origin");
  });
});
