/**
 * Requests Idem does not record still reach the origin whole: method, path,
 * query and, above all, body. Found while building the bad-input corpus: an
 * un-keyed POST on a route whose policy reads nothing from the body went on
 * without its body.
 */
import { describe, expect, it } from "vitest";
import { clientRequest, gatewayFor, newTag, originLog } from "./support/gateway.ts";

const send = gatewayFor({
  routes: [
    { name: "orders", path: "/orders" },
    { name: "conditional", path: "/api", when: { "query:request": "saveSalesDocument" } },
  ],
});

describe("requests forwarded without a record keep their body", () => {
  it.each([
    ["no key on a route that takes one", "/orders", "POST", {}],
    ["a key on a method the route does not cover", "/orders", "PUT", { "idempotency-key": "put-key" }],
    ["no route at all", "/elsewhere", "POST", {}],
    ["a route whose condition does not hold", "/api?request=getSalesDocuments", "POST", { "idempotency-key": "cond-key" }],
  ])("%s", async (_name, path, method, headers) => {
    const tag = newTag();
    const response = await send(clientRequest(path, { tag, method, json: { item: "lamp", qty: 2 }, headers }));
    expect(response.status).toBeLessThan(300);
    const [seen] = await originLog(tag);
    expect(seen?.method).toBe(method);
    expect(JSON.parse(seen?.body ?? "null")).toEqual({ item: "lamp", qty: 2 });
  });
});
