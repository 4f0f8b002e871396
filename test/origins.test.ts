import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConfigInput } from "../src/config/schema.ts";
import { problemType } from "../src/errors/problem-docs.ts";
import type { KeyObject } from "../src/objects/key-object.ts";
import { clientRequest, gatewayFor, newTag, originLog } from "./support/gateway.ts";
import { captureLogs } from "./support/logs.ts";

const ADMIN_TOKEN = "0123456789abcdef0123456789abcdef-admin";
const SECRET = env.ORIGIN_AUTH_SECRET;

/** What the bound Worker (test/fixtures/bound-worker.ts) received with this tag. */
async function boundLog(tag: string): Promise<{ headers: Record<string, string>; path: string }[]> {
  return (await env.BOUND_ORIGIN.fetch(`https://bound.test/__demo/requests?tag=${tag}`)).json();
}

const config: Omit<ConfigInput, "origin"> = {
  keyspace: { strategy: "per-key" },
  origins: {
    bound: { service: "BOUND_ORIGIN" },
    guarded: { url: env.ORIGIN_URL, headers: { "X-Origin-Auth": { secret: "ORIGIN_AUTH_SECRET" } } },
    "bound-guarded": { service: "BOUND_ORIGIN", headers: { "X-Origin-Auth": { secret: "ORIGIN_AUTH_SECRET" } } },
    account: { url: `${env.ORIGIN_URL}/accounts/{header:X-Account}`, allowHosts: ["127.0.0.1"] },
    erply: { url: "https://{param:clientCode}.erply.com/api", allowHosts: ["*.erply.com"] },
  },
  routes: [
    { name: "orders", path: "/orders" },
    { name: "bound-orders", path: "/bound/orders", origin: "bound" },
    { name: "guarded-orders", path: "/guarded/orders", origin: "guarded" },
    { name: "bound-guarded-orders", path: "/bound-guarded/orders", origin: "bound-guarded" },
    { name: "account-orders", path: "/account/orders", origin: "account" },
    { name: "erply", path: "/api/", origin: "erply", methods: ["POST", "GET"] },
    { name: "bound-rest", path: "/bound/*", origin: "bound", methods: ["GET", "POST", "DELETE"] },
  ],
};
const send = gatewayFor(config, { ADMIN_TOKEN });

describe("routes choose their origin", () => {
  it("sends each route's requests to its own origin, and others to the top-level one", async () => {
    const tag = newTag();
    expect((await send(clientRequest("/orders", { tag, key: "k-default" }))).status).toBe(201);
    expect((await send(clientRequest("/bound/orders", { tag, key: "k-bound" }))).status).toBe(201);
    expect((await originLog(tag)).map((r) => r.path)).toEqual(["/orders"]);
    expect((await boundLog(tag)).map((r) => r.path)).toEqual(["/bound/orders"]);
  });

  it("names the origin in the decision log", async () => {
    const logs = captureLogs();
    try {
      await send(clientRequest("/bound/orders/1", { tag: newTag(), method: "GET" }));
      await send(clientRequest("/api/", { tag: newTag(), form: { request: "getProducts" } }));
      expect(logs.lines("idem.decision").map((line) => [line.route, line.origin, line.outcome])).toEqual([
        ["bound-rest", "bound", "passed-through"],
        ["erply", undefined, "invalid-request"],
      ]);
    } finally {
      logs.restore();
    }
  });

  it("reaches a Worker through its service binding for a read no key covers, keeping path and query", async () => {
    const tag = newTag();
    const response = await send(clientRequest("/bound/orders/7?expand=lines", { tag, method: "GET" }));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ method: "GET", path: "/bound/orders/7?expand=lines" });
  });
});

describe("an origin behind a service binding (a real second Worker)", () => {
  it("runs a keyed request once and replays it to the retry", async () => {
    const tag = newTag();
    const first = await send(clientRequest("/bound/orders", { tag, key: "k-1", json: { item: "lamp" } }));
    const retry = await send(clientRequest("/bound/orders", { tag, key: "k-1", json: { item: "lamp" } }));
    expect(first.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.text()).toBe(await first.text());
    expect(await boundLog(tag)).toHaveLength(1);
  });

  it("refuses the same key with another body, without calling the Worker again", async () => {
    const tag = newTag();
    await send(clientRequest("/bound/orders", { tag, key: "k-2", json: { item: "lamp" } }));
    const other = await send(clientRequest("/bound/orders", { tag, key: "k-2", json: { item: "desk" } }));
    expect(other.status).toBe(422);
    expect((await other.json<{ type: string }>()).type).toBe(problemType("fingerprint-mismatch"));
    expect(await boundLog(tag)).toHaveLength(1);
  });

  it("classifies a failure of the bound Worker like any origin failure: an unknown outcome, never run again", async () => {
    const tag = newTag();
    const failed = await send(clientRequest("/bound/orders", { tag, key: "k-3", headers: { "demo-throw": "1" } }));
    expect(failed.status).toBe(502);
    expect(await failed.json()).toMatchObject({ type: problemType("outcome-unknown"), failure: "origin-unreachable" });
    const retry = await send(clientRequest("/bound/orders", { tag, key: "k-3", headers: { "demo-throw": "1" } }));
    expect(retry.status).toBe(502);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    // As for a network origin that broke off: the Worker may have acted, so the retry is not sent again.
    expect(await boundLog(tag)).toHaveLength(1);
  });

  it("on a route that releases unknown outcomes, lets the retry run at the Worker again", async () => {
    const release = gatewayFor({
      origins: { bound: { service: "BOUND_ORIGIN" } },
      routes: [{ name: "bound-orders", path: "/bound/orders", origin: "bound", onUnknownOutcome: "release" }],
    });
    const tag = newTag();
    const failed = await release(clientRequest("/bound/orders", { tag, key: "k-4", headers: { "demo-throw": "1" } }));
    expect(failed.status).toBe(502);
    expect((await failed.json<{ type: string }>()).type).toBe(problemType("origin-unreachable"));
    const retry = await release(clientRequest("/bound/orders", { tag, key: "k-4" }));
    expect(retry.status).toBe(201);
    expect(await boundLog(tag)).toHaveLength(2);
  });
});

describe("origin credentials", () => {
  let logs: ReturnType<typeof captureLogs>;
  beforeEach(() => {
    logs = captureLogs();
  });
  afterEach(() => logs.restore());

  it("adds the secret header to every request for the origin, replacing one the client sent", async () => {
    const tag = newTag();
    await send(clientRequest("/guarded/orders", { tag, key: "c-1", headers: { "x-origin-auth": "forged" } }));
    await send(clientRequest("/guarded/orders/9", { tag, method: "GET" }));
    await send(clientRequest("/bound-guarded/orders", { tag, key: "c-2" }));
    const received = [...(await originLog(tag)), ...(await boundLog(tag))];
    // The GET matched no route of the guarded origin: it went to the top-level origin, which gets no secret.
    expect(received.map((r) => [r.path, r.headers["x-origin-auth"]])).toEqual([
      ["/guarded/orders", SECRET],
      ["/guarded/orders/9", undefined],
      ["/bound-guarded/orders", SECRET],
    ]);
  });

  it("never shows the secret in logs, the admin API, or the stored record", async () => {
    const tag = newTag();
    const sent = await send(clientRequest("/guarded/orders", { tag, key: "c-3", json: { item: "lamp" } }));
    const recordId = (logs.lines("idem.decision").at(-1) as { record: string }).record;
    expect(sent.status).toBe(200);

    const admin = (path: string) => send(new Request(`https://idem.test/__idem${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }));
    const health = await (await admin("/health")).text();
    expect(health).toContain("ORIGIN_AUTH_SECRET");
    const record = await (await admin(`/records/${recordId}?body=true`)).text();
    expect(record).toContain(recordId);

    const stored = await runInDurableObject(env.KEYS.get(env.KEYS.idFromName(recordId)) as DurableObjectStub<KeyObject>, (_, state) => {
      const tables = [...state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'")].map((t) =>
        String(t.name),
      );
      const decoder = new TextDecoder();
      return tables
        .flatMap((table) => [...state.storage.sql.exec(`SELECT * FROM "${table}"`)])
        .flatMap((row) => Object.values(row).map((value) => (value instanceof ArrayBuffer ? decoder.decode(value) : String(value))))
        .join("\n");
    });
    expect(stored).toContain("lamp");
    for (const text of [health, record, stored, ...logs.raw()]) expect(text).not.toContain(SECRET);
  });
});

describe("an origin chosen by the request (a template)", () => {
  it("fills the origin from the request's fields", async () => {
    const tag = newTag();
    const response = await send(clientRequest("/account/orders", { tag, key: "t-1", headers: { "x-account": "acme" } }));
    expect(response.status).toBe(200);
    expect((await originLog(tag)).map((r) => r.path)).toEqual(["/accounts/acme/account/orders"]);
  });

  it("keeps two accounts' records apart: the same key on another account runs again", async () => {
    const tag = newTag();
    const sendFor = (account: string) => send(clientRequest("/account/orders", { tag, key: "t-2", headers: { "x-account": account } }));
    await sendFor("acme");
    const otherAccount = await sendFor("globex");
    const retry = await sendFor("acme");
    expect(otherAccount.headers.get("idempotent-replayed")).toBeNull();
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect((await originLog(tag)).map((r) => r.path)).toEqual(["/accounts/acme/account/orders", "/accounts/globex/account/orders"]);
  });

  it.each([
    ["a field that would change the host", { clientCode: "evil.example.com/x" }, "param:clientCode must be letters, digits"],
    ["a missing field", {}, "the request lacks param:clientCode, which names its origin"],
    ["a value with an @", { clientCode: "me@evil" }, "param:clientCode must be letters, digits"],
  ])("refuses %s with 400 origin-not-allowed, sending nothing", async (_, form, detail) => {
    const response = await send(clientRequest("/api/", { tag: newTag(), form: { request: "getProducts", ...form } }));
    expect(response.status).toBe(400);
    const problem = await response.json<{ type: string; detail: string }>();
    expect(problem.type).toBe(problemType("origin-not-allowed"));
    expect(problem.detail).toContain(detail);
  });

  it("refuses a host outside allowHosts", async () => {
    const outside = gatewayFor({
      origins: { account: { url: "https://{header:X-Account}.example.com", allowHosts: ["shop.example.com"] } },
      routes: [{ name: "orders", path: "/orders", origin: "account" }],
    });
    const response = await outside(clientRequest("/orders", { tag: newTag(), key: "h-1", headers: { "x-account": "admin" } }));
    expect(response.status).toBe(400);
    expect((await response.json<{ detail: string }>()).detail).toBe(
      'the request names origin host admin.example.com, which allowHosts of origin "account" does not allow',
    );
  });
});
