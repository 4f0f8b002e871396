import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { problemType } from "../src/errors/problem-docs.ts";
import { clientRequest, gatewayFor, newTag, originLog } from "./support/gateway.ts";
import { captureLogs } from "./support/logs.ts";

/**
 * The defences of docs/security.md, inside workerd. Each has a twin against
 * the bundled Worker in test/e2e/security.e2e.test.ts.
 */

const TOKEN = "0123456789abcdef0123456789abcdef-admin";

interface Problem {
  type: string;
  status: number;
  detail: string;
}

describe("error answers are never sniffed (issue 22, item 12)", () => {
  const send = gatewayFor(
    {
      routes: [
        { name: "problem", path: "/orders", key: { required: true } },
        { name: "erply", path: "/erply", key: { required: true }, errors: { format: "erply" } },
        { name: "json", path: "/json", key: { required: true }, errors: { format: "json", template: { error: "{{kind}}" } } },
      ],
    },
    { ADMIN_TOKEN: TOKEN },
  );

  it.each(["/orders", "/erply", "/json"])("an error answer of %s carries X-Content-Type-Options: nosniff", async (path) => {
    const response = await send(clientRequest(path, { tag: newTag() }));
    expect(await response.text()).toContain("key");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("so does every admin problem", async () => {
    for (const [token, status] of [
      ["wrong", 401],
      [TOKEN, 404],
    ] as const) {
      const response = await send(new Request("https://idem.test/__idem/no-such-endpoint", { headers: { authorization: `Bearer ${token}` } }));
      expect(response.status).toBe(status);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });
});

describe("the admin token this repository publishes is refused (issue 22, item 12)", () => {
  // The token .dev.vars.example published until issue 22, and its placeholder since (the e2e twin reads the file).
  it.each(["local-dev-admin-token-change-me-0123456789", "replace-me-with-the-output-of-openssl-rand-hex-32"])(
    "with ADMIN_TOKEN=%s the admin API stays off, even to a caller who sends that token",
    async (published) => {
      const tag = newTag();
      const send = gatewayFor({ routes: [] }, { ADMIN_TOKEN: published });
      const response = await send(clientRequest("/__idem/health", { tag, method: "GET", auth: `Bearer ${published}` }));
      expect(response.status).toBe(404);
      const problem = await response.json<Problem>();
      expect(problem.type).toBe(problemType("admin-disabled"));
      expect(problem.detail).toContain("openssl rand -hex 32");
      expect(await originLog(tag)).toHaveLength(0);
    },
  );
});

describe("admin bodies are bounded before they are parsed (issue 22, item 11)", () => {
  const send = gatewayFor({ maxRequestBodyBytes: 1024, routes: [{ name: "orders", path: "/orders" }] }, { ADMIN_TOKEN: TOKEN });
  const adminPost = (path: string, method: string, body: string) =>
    send(
      new Request(`https://idem.test/__idem${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body,
      }),
    );
  // Valid JSON that would otherwise be parsed, but larger than maxRequestBodyBytes.
  const oversize = JSON.stringify({ route: "orders", key: "k", scope: { "header:Authorization": "x".repeat(4096) } });

  it.each([
    ["POST", "/records/lookup"],
    ["PUT", `/records/${"0".repeat(64)}/response`],
  ])("%s %s answers 413 admin-body-too-large past maxRequestBodyBytes", async (method, path) => {
    const response = await adminPost(path, method, oversize);
    expect(response.status).toBe(413);
    expect((await response.json<Problem>()).type).toBe(problemType("admin-body-too-large"));
  });

  it("and still reads a lookup within the limit", async () => {
    const response = await adminPost("/records/lookup", "POST", JSON.stringify({ route: "orders", key: "k" }));
    expect((await response.json<Problem>()).type).toBe(problemType("admin-record-not-found"));
  });
});

describe("a template origin whose filled host is no valid URL (issue 22, item 7)", () => {
  const send = gatewayFor({
    origins: { tenant: { url: "https://{header:X-Tenant}", allowHosts: ["acme"] } },
    routes: [{ name: "tenant-orders", path: "/orders", origin: "tenant" }],
  });

  it.each(["09", "999999999999"])("X-Tenant: %s is refused with origin-not-allowed and a decision line, never a bare 500", async (tenant) => {
    const logs = captureLogs();
    try {
      const response = await send(clientRequest("/orders", { tag: newTag(), headers: { "x-tenant": tenant } }));
      expect(response.status).toBe(400);
      expect((await response.json<Problem>()).type).toBe(problemType("origin-not-allowed"));
      expect(logs.lines("idem.decision").map((line) => [line.route, line.error])).toEqual([["tenant-orders", "origin-not-allowed"]]);
    } finally {
      logs.restore();
    }
  });
});

describe("forwardKey headers come from Idem alone (issue 22, item 5)", () => {
  const forwardKey = { header: "Idem-Key", value: "key" } as const;
  const send = gatewayFor({
    routes: [
      { name: "orders", path: "/orders", forwardKey },
      { name: "save-thing", path: "/api/", when: { "param:request": "saveThing" }, key: { source: "param:uuid" }, forwardKey },
      { name: "bulk", path: "/api/", batch: { field: "param:requests", format: "erply" } },
    ],
  });
  const auth = "Bearer alice";
  const forged = { "idem-key": "victim-order-17" };

  it("drops a client's header of that name from every request, and sets it only to the key", async () => {
    const tag = newTag();
    await send(clientRequest("/orders", { tag, auth, key: "k-1", headers: forged }));
    // Without a key, on the route; a GET and a POST that no route takes.
    await send(clientRequest("/orders", { tag, auth, headers: forged }));
    await send(clientRequest("/orders/17", { tag, auth, method: "GET", headers: forged }));
    await send(clientRequest("/elsewhere", { tag, auth, headers: forged }));
    const received = await originLog(tag);
    expect(received.map((r) => [r.method, r.path, r.headers["idem-key"]])).toEqual([
      ["POST", "/orders", "k-1"],
      ["POST", "/orders", undefined],
      ["GET", "/orders/17", undefined],
      ["POST", "/elsewhere", undefined],
    ]);
  });

  it("drops it from bulk requests, whether their calls run unguarded or with records", async () => {
    const tag = newTag();
    const calls = (request: string) => JSON.stringify([{ requestName: request, requestID: 1, uuid: `u-${tag}` }]);
    await send(clientRequest("/api/", { tag, auth, headers: forged, form: { requests: calls("getThings") } }));
    await send(clientRequest("/api/", { tag, auth, headers: forged, form: { requests: calls("saveThing") } }));
    const received = await originLog(tag);
    expect(received).toHaveLength(2);
    expect(received.map((r) => r.headers["idem-key"])).toEqual([undefined, undefined]);
  });
});

describe("the origin's credential reaches only the requests a route sends (issue 22, item 1)", () => {
  const SECRET = env.ORIGIN_AUTH_SECRET;
  const credential = { "X-Origin-Auth": { secret: "ORIGIN_AUTH_SECRET" } };
  const send = gatewayFor({ origin: { url: env.ORIGIN_URL, headers: credential }, routes: [{ name: "orders", path: "/orders" }] });
  const sendAll = gatewayFor({
    origin: { url: env.ORIGIN_URL, headers: { "X-Origin-Auth": { secret: "ORIGIN_AUTH_SECRET", passThrough: true } } },
    routes: [{ name: "orders", path: "/orders" }],
  });

  // workerd's Request takes no TRACK or CONNECT: the e2e twin sends those over raw HTTP.
  it.each(["TRACE", "trace"])("answers %s itself with 405 and Allow, never sending it on", async (method) => {
    const tag = newTag();
    for (const path of ["/anything", "/orders", "/reflect"]) {
      const response = await send(new Request(`https://idem.test${path}`, { method, headers: { "demo-tag": tag } }));
      expect(response.status).toBe(405);
      expect(response.headers.get("allow")).toBe("GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE");
      expect(response.headers.get("content-type")).toBe("application/problem+json");
      const text = await response.text();
      expect(JSON.parse(text).type).toBe(problemType("method-not-allowed"));
      expect(text).not.toContain(SECRET);
    }
    expect(await originLog(tag)).toHaveLength(0);
  });

  it("is not added to a request no route takes: a header-reflecting endpoint shows none", async () => {
    const tag = newTag();
    const reflected = await send(clientRequest("/reflect", { tag, method: "GET" }));
    expect(reflected.status).toBe(200);
    expect(await reflected.text()).not.toContain(SECRET);
    await send(clientRequest("/orders", { tag, auth: "Bearer alice", key: tag }));
    expect((await originLog(tag)).map((r) => [r.method, r.path, r.headers["x-origin-auth"]])).toEqual([
      ["GET", "/reflect", undefined],
      ["POST", "/orders", SECRET],
    ]);
  });

  it("is added to a request no route takes only when the credential says passThrough = true", async () => {
    const tag = newTag();
    await sendAll(clientRequest("/reflect", { tag, method: "GET" }));
    expect((await originLog(tag)).map((r) => r.headers["x-origin-auth"])).toEqual([SECRET]);
  });
});
