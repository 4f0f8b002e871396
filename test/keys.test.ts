import { describe, expect, it } from "vitest";
import { clientRequest, gatewayFor, newTag, originLog } from "./support/gateway.ts";

const send = gatewayFor({
  routes: [
    { name: "optional", path: "/orders" },
    { name: "required", path: "/payments", key: { required: true } },
    { name: "field-key", path: "/api/", key: { source: "param:temporaryUUID", pattern: "^[A-Za-z0-9.-]{1,128}$" } },
    { name: "query-key", path: "/imports", key: { source: "query:key" } },
  ],
});

describe("key syntax at the gateway", () => {
  it("treats the sf-string and the bare token form of a key as the same key", async () => {
    const tag = newTag();
    await send(clientRequest("/orders", { tag, key: '"same-key"', json: {} }));
    const retry = await send(clientRequest("/orders", { tag, key: "same-key", json: {} }));
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
  });

  it.each([
    ["empty", ""],
    ["too long", "k".repeat(256)],
    ["with a control character", "a\tb"],
    ["repeated", "one, two"],
  ])("answers 400 invalid-key to a key that is %s, without calling the origin", async (_name, key) => {
    const tag = newTag();
    const response = await send(clientRequest("/orders", { tag, key, json: {} }));
    expect(response.status).toBe(400);
    const problem = await response.json<{ type: string; detail: string }>();
    expect(problem.type).toBe("https://idem.dev/problems/invalid-key");
    expect(problem.detail).toContain("Idempotency-Key");
    expect(await originLog(tag)).toHaveLength(0);
  });

  it("answers 400 key-required on a route that requires a key", async () => {
    const tag = newTag();
    const response = await send(clientRequest("/payments", { tag, json: {} }));
    expect(response.status).toBe(400);
    expect((await response.json<{ type: string }>()).type).toBe("https://idem.dev/problems/key-required");
    expect(await originLog(tag)).toHaveLength(0);
  });

  it("reads a key from a form or query field when the route says so", async () => {
    const tag = newTag();
    await send(clientRequest("/api/", { tag, form: { request: "saveSalesDocument", temporaryUUID: "t-1" } }));
    const retry = await send(clientRequest("/api/", { tag, form: { request: "saveSalesDocument", temporaryUUID: "t-1" } }));
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    const invalid = await send(clientRequest("/api/", { tag, form: { temporaryUUID: "has space" } }));
    expect(invalid.status).toBe(400);
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("forwards the body, and fingerprints it, when the key is in the query string", async () => {
    const tag = newTag();
    const first = await send(clientRequest("/imports?key=q-1", { tag, json: { rows: 3 } }));
    expect(first.status).toBe(200);
    const [received] = await originLog(tag);
    expect(received?.body).toBe('{"rows":3}');
    const changed = await send(clientRequest("/imports?key=q-1", { tag, json: { rows: 4 } }));
    expect(changed.status).toBe(422);
    expect(await originLog(tag)).toHaveLength(1);
  });
});
