/**
 * Callers Idem cannot identify: a keyed request that carries none of its
 * route's scope fields, or only empty or placeholder values (here, two
 * browsers authenticated by cookie on a route scoped by Authorization).
 */
import { describe, expect, it } from "vitest";
import { erplyClient, newAccount } from "./support/erply-client.ts";
import { clientRequest, erplyGateway, gatewayFor, newTag, originLog } from "./support/gateway.ts";

const send = gatewayFor({
  routes: [
    { name: "shared", path: "/orders", anonymous: "share" },
    { name: "refused", path: "/echo/refused", anonymous: "refuse" },
    // No `anonymous`: the default.
    { name: "default", path: "/echo/default" },
    { name: "api-key", path: "/echo/api-key", scope: ["header:X-Api-Key"] },
    {
      name: "refused-dedup",
      path: "/echo/dedup",
      anonymous: "refuse",
      dedup: [{ name: "same-order", prerequisites: ["body:orderNo"], compare: ["body:orderNo"] }],
    },
  ],
});
const cookie = (name: string) => ({ cookie: `session=${name}` });

describe("a keyed request without any scope field", () => {
  it('is shared with every other such caller on a route with anonymous = "share": the second caller gets the first one\'s answer', async () => {
    const tag = newTag();
    const key = newTag();
    const alice = await send(clientRequest("/orders", { tag, key, json: { item: "book" }, auth: null, headers: cookie("alice") }));
    const bob = await send(clientRequest("/orders", { tag, key, json: { item: "book" }, auth: null, headers: cookie("bob") }));
    expect(bob.headers.get("idempotent-replayed")).toBe("true");
    expect(await bob.text()).toBe(await alice.text());
    expect(await originLog(tag)).toHaveLength(1);
  });

  it('is refused with 400 caller-unidentified on a route with anonymous = "refuse", and the origin is not called', async () => {
    const tag = newTag();
    const response = await send(clientRequest("/echo/refused", { tag, key: newTag(), json: {}, auth: null, headers: cookie("alice") }));
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { type: string; detail: string };
    expect(problem.type).toBe("urn:idem:problem:caller-unidentified");
    expect(problem.detail).toContain("this route keeps each caller's records apart by header:Authorization, and the request carries none of them");
    // A browser-facing API learns how to scope by its session cookie.
    expect(problem.detail).toContain('scope = ["header:Cookie"]');
    expect(await originLog(tag)).toHaveLength(0);
  });

  it("is refused by default, on a route that does not say (issue 22, item 2)", async () => {
    const tag = newTag();
    const key = newTag();
    for (const name of ["alice", "bob"]) {
      const response = await send(clientRequest("/echo/default", { tag, key, json: { item: "book" }, auth: null, headers: cookie(name) }));
      expect(response.status).toBe(400);
      expect(((await response.json()) as { type: string }).type).toBe("urn:idem:problem:caller-unidentified");
    }
    expect(await originLog(tag)).toHaveLength(0);
  });

  it.each(["", "Bearer", "Bearer ", "Bearer null", "Bearer undefined", "bearer NULL", "Basic undefined", "null", "undefined"])(
    "is refused when its Authorization is the empty or placeholder %j",
    async (auth) => {
      const tag = newTag();
      const response = await send(clientRequest("/echo/default", { tag, key: newTag(), auth, json: {} }));
      expect(response.status).toBe(400);
      expect(((await response.json()) as { type: string }).type).toBe("urn:idem:problem:caller-unidentified");
      expect(await originLog(tag)).toHaveLength(0);
    },
  );

  it.each(["Bearer alice", "sk_live_123", "Token null-and-void"])("runs when its Authorization is %j", async (auth) => {
    const tag = newTag();
    expect((await send(clientRequest("/echo/default", { tag, key: newTag(), auth, json: {} }))).status).toBe(200);
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("keeps two API keys apart, and refuses the placeholder a client sends when it has none", async () => {
    const tag = newTag();
    const key = newTag();
    const alice = await send(clientRequest("/echo/api-key", { tag, key, json: {}, headers: { "x-api-key": "alice" } }));
    const mallory = await send(clientRequest("/echo/api-key", { tag, key, json: {}, headers: { "x-api-key": "mallory" } }));
    const missing = await send(clientRequest("/echo/api-key", { tag, key, json: {}, headers: { "x-api-key": "undefined" } }));
    expect([alice.status, mallory.status, missing.status]).toEqual([200, 200, 400]);
    expect(mallory.headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(2);
  });

  it("runs as usual when it names its caller, and passes through without a key", async () => {
    const tag = newTag();
    const key = newTag();
    await send(clientRequest("/echo/refused", { tag, key, auth: "Bearer alice", json: {} }));
    expect((await send(clientRequest("/echo/refused", { tag, key, auth: "Bearer alice", json: {} }))).headers.get("idempotent-replayed")).toBe(
      "true",
    );
    expect((await send(clientRequest("/echo/refused", { tag, json: {} }))).status).toBe(200);
    expect(await originLog(tag)).toHaveLength(2);
  });

  it("gets no duplicate check (and no refusal) from a dedup rule when it names no caller", async () => {
    const tag = newTag();
    for (const name of ["alice", "bob"]) {
      const response = await send(clientRequest("/echo/dedup", { tag, json: { orderNo: "17" }, auth: null, headers: cookie(name) }));
      expect(response.headers.get("idempotent-replayed")).toBeNull();
    }
    expect(await originLog(tag)).toHaveLength(2);
  });
});

describe("the Erply example refuses a keyed call without a sessionKey", () => {
  const { call, calls } = erplyClient(() => erplyGateway());

  it("answers 1010 and never calls the API; with an account the same key runs", async () => {
    const tag = newTag();
    const temporaryUUID = newTag();
    const anonymous = await call({ request: "saveSalesDocument", temporaryUUID }, { tag });
    expect(anonymous.status).toMatchObject({ request: "saveSalesDocument", responseStatus: "error", errorCode: 1010 });
    expect(await calls(tag)).toHaveLength(0);
    expect((await call({ ...newAccount(), request: "saveSalesDocument", temporaryUUID }, { tag })).status.responseStatus).toBe("ok");
  });

  it.each([undefined, "", "null"])(
    "answers 1010 to a clientCode with sessionKey %j: the account code names no caller (issue 22, item 2)",
    async (sessionKey) => {
      const tag = newTag();
      const { clientCode } = newAccount();
      const params = { clientCode, request: "saveSalesDocument", temporaryUUID: newTag(), ...(sessionKey === undefined ? {} : { sessionKey }) };
      const answer = await call(params, { tag });
      expect(answer.status).toMatchObject({ request: "saveSalesDocument", responseStatus: "error", errorCode: 1010 });
      expect(await calls(tag)).toHaveLength(0);
    },
  );
});
