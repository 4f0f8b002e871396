/**
 * Route matching that mirrors an origin whose router ignores case, merges
 * slashes and drops `;param` path parameters, and the admin prefix in every
 * spelling such a router would take for it.
 */
import { describe, expect, it } from "vitest";
import { clientRequest, gatewayFor, newTag, originLog } from "./support/gateway.ts";

const routes = [
  { name: "orders", path: "/orders" },
  { name: "strict", path: "/strict", key: { required: true } },
  { name: "checkout", path: "/carts/:cartId/checkout", key: { source: "path:cartId" } },
];
const exact = gatewayFor({ routes });
const mirrored = gatewayFor({ routes, pathMatching: { caseInsensitive: true, mergeSlashes: true, stripParams: true } });
const auth = "Bearer path-tests";

describe("by default (paths matched as written)", () => {
  it("decodes percent-escapes of unreserved characters: /%6frders is /orders", async () => {
    const tag = newTag();
    const key = newTag();
    await exact(clientRequest("/orders", { tag, key, auth, json: { a: 1 } }));
    const spelt = await exact(clientRequest("/%6frders", { tag, key, auth, json: { a: 1 } }));
    expect(spelt.headers.get("idempotent-replayed")).toBe("true");
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("takes /Orders, //orders and /orders;x=1 for other paths (they pass through)", async () => {
    const tag = newTag();
    const key = newTag();
    for (const path of ["/Orders", "//orders", "/orders;x=1"]) await exact(clientRequest(path, { tag, key, auth, json: { a: 1 } }));
    expect(await originLog(tag)).toHaveLength(3);
  });
});

describe("with pathMatching = { caseInsensitive, mergeSlashes, stripParams }", () => {
  it.each(["//orders", "/orders;jsessionid=1", "/%6Frders", "//orders;v=2"])("replays /orders to a retry sent to %s", async (path) => {
    const tag = newTag();
    const key = newTag();
    await mirrored(clientRequest("/orders", { tag, key, auth, json: { a: 1 } }));
    const spelt = await mirrored(clientRequest(path, { tag, key, auth, json: { a: 1 } }));
    expect(spelt.status).toBe(201);
    expect(spelt.headers.get("idempotent-replayed")).toBe("true");
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("guards /Orders as /orders; a retry in other case is another request for the same key (422): case may matter past the route", async () => {
    const tag = newTag();
    const key = newTag();
    await mirrored(clientRequest("/Orders", { tag, key, auth, json: { a: 1 } }));
    expect((await mirrored(clientRequest("/Orders", { tag, key, auth, json: { a: 1 } }))).headers.get("idempotent-replayed")).toBe("true");
    expect((await mirrored(clientRequest("/ORDERS", { tag, key, auth, json: { a: 1 } }))).status).toBe(422);
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("keeps /Strict from getting round key.required", async () => {
    const tag = newTag();
    for (const path of ["/Strict", "//strict", "/strict;x"]) expect((await mirrored(clientRequest(path, { tag, auth, json: {} }))).status).toBe(400);
    expect(await originLog(tag)).toHaveLength(0);
  });

  it("keeps path parameters as the client spelt them", async () => {
    const tag = newTag();
    await mirrored(clientRequest("/CARTS/AbC/checkout", { tag, auth, json: {} }));
    expect((await mirrored(clientRequest("/CARTS/AbC/checkout", { tag, auth, json: {} }))).headers.get("idempotent-replayed")).toBe("true");
    // Another cart: its ID is another key, though the route is the same.
    expect((await mirrored(clientRequest("/CARTS/abc/checkout", { tag, auth, json: {} }))).headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(2);
  });
});

describe("the admin prefix", () => {
  it.each(["/__idem/health", "/__IDEM/health", "//__idem/health", "/__idem;x=1/health", "/%5F_idem/health", "/__Idem"])(
    "answers %s itself, so it never reaches the origin",
    async (path) => {
      const tag = newTag();
      for (const send of [exact, mirrored]) {
        const response = await send(clientRequest(path, { tag, method: "GET" }));
        expect(((await response.json()) as { type: string }).type).toMatch(/^https:\/\/idem\.dev\/problems\/admin-/);
      }
      expect(await originLog(tag)).toHaveLength(0);
    },
  );
});
