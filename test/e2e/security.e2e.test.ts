import { readFileSync } from "node:fs";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type DemoOrigin, startOrdersOrigin } from "../../demo/orders-origin.ts";
import { startErplyOrigin } from "../../examples/erply/origin.ts";
import { type BundledWorker, startBundledWorker } from "../../harness/bundled-worker.ts";
import { useBundledStack } from "./support/stack.ts";

/**
 * The defences of docs/security.md, against the bundled Worker over real
 * HTTP. Each has a twin inside workerd in test/security.test.ts.
 */

/** The ADMIN_TOKEN line of .dev.vars.example, as someone who copies the file gets it. */
const publishedToken = /^ADMIN_TOKEN=(.*)$/m.exec(readFileSync(new URL("../../.dev.vars.example", import.meta.url), "utf8"))?.[1]?.trim() ?? "";

interface Problem {
  type: string;
  detail: string;
}

describe("a Worker given the admin token .dev.vars.example publishes (issue 22, item 12)", () => {
  const stack = useBundledStack({
    origin: startOrdersOrigin,
    routes: [{ name: "orders", path: "/orders", key: { required: true } }],
    bindings: { ADMIN_TOKEN: publishedToken },
  });

  it("keeps the admin API off, even to a caller who sends that token", async () => {
    expect(publishedToken).not.toBe("");
    const response = await fetch(new URL("/__idem/health", stack().worker.url), { headers: { authorization: `Bearer ${publishedToken}` } });
    expect(response.status).toBe(404);
    const problem = (await response.json()) as Problem;
    expect(problem.type).toBe("urn:idem:problem:admin-disabled");
    expect(problem.detail).toContain("openssl rand -hex 32");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("answers every error with X-Content-Type-Options: nosniff", async () => {
    const response = await fetch(new URL("/orders", stack().worker.url), { method: "POST" });
    expect(response.status).toBe(400);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

const TOKEN = "0123456789abcdef0123456789abcdef-admin";

describe("admin bodies are bounded before they are parsed (issue 22, item 11)", () => {
  const stack = useBundledStack({
    origin: startOrdersOrigin,
    routes: [{ name: "orders", path: "/orders" }],
    // Small, so that the refused body fits in the socket's buffers: a client still writing a larger one when the
    // 413 arrives and the connection closes sees EPIPE instead of the answer.
    settings: { maxRequestBodyBytes: 1024 },
    bindings: { ADMIN_TOKEN: TOKEN },
  });
  const lookup = (body: string) =>
    fetch(new URL("/__idem/records/lookup", stack().worker.url), {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body,
    });

  it("refuses a lookup past maxRequestBodyBytes with 413 admin-body-too-large, before parsing it", async () => {
    const response = await lookup(JSON.stringify({ route: "orders", key: "k", scope: { "header:Authorization": "x".repeat(32 * 1024) } }));
    expect(response.status).toBe(413);
    expect(((await response.json()) as Problem).type).toBe("urn:idem:problem:admin-body-too-large");
  });

  it("and still answers a lookup within the limit", async () => {
    const response = await lookup(JSON.stringify({ route: "orders", key: "k" }));
    expect(((await response.json()) as Problem).type).toBe("urn:idem:problem:admin-record-not-found");
  });
});

describe("a template origin whose filled host is no valid URL (issue 22, item 7)", () => {
  const stack = useBundledStack({
    origin: startOrdersOrigin,
    routes: [{ name: "tenant-orders", path: "/orders", origin: "tenant" }],
    settings: { origins: { tenant: { url: "https://{header:X-Tenant}", allowHosts: ["acme"] } } },
  });

  it.each(["09", "999999999999"])("X-Tenant: %s is refused with 400 origin-not-allowed, never a bare 500", async (tenant) => {
    const response = await fetch(new URL("/orders", stack().worker.url), { method: "POST", headers: { "x-tenant": tenant } });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(((await response.json()) as Problem).type).toBe("urn:idem:problem:origin-not-allowed");
  });
});

describe("forwardKey headers come from Idem alone (issue 22, item 5)", () => {
  const forwardKey = { header: "Idem-Key", value: "key" };
  const stack = useBundledStack({
    origin: startOrdersOrigin,
    routes: [
      { name: "orders", path: "/orders", forwardKey },
      { name: "save-thing", path: "/api/", when: { "param:request": "saveThing" }, key: { source: "param:uuid" }, forwardKey },
      { name: "bulk", path: "/api/", batch: { field: "param:requests", format: "erply" } },
    ],
  });
  const send = (path: string, tag: string, init: { method?: string; key?: string; form?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { "demo-tag": tag, authorization: "Bearer alice", "idem-key": "victim-order-17" };
    if (init.key) headers["idempotency-key"] = init.key;
    if (init.form) headers["content-type"] = "application/x-www-form-urlencoded";
    const body = init.form && new URLSearchParams(init.form).toString();
    return fetch(new URL(path, stack().worker.url), { method: init.method ?? "POST", headers, body });
  };

  it("drops a client's header of that name from every request, bulk ones included, and sets it only to the key", async () => {
    const tag = `forward-key-${Date.now()}`;
    const calls = (request: string) => JSON.stringify([{ requestName: request, requestID: 1, uuid: `u-${tag}` }]);
    await send("/orders", tag, { key: "k-1" });
    await send("/orders", tag);
    await send("/orders/17", tag, { method: "GET" });
    await send("/elsewhere", tag);
    await send("/api/", tag, { form: { requests: calls("getThings") } });
    await send("/api/", tag, { form: { requests: calls("saveThing") } });
    const received = stack().origin.received.filter((r) => r.tag === tag);
    expect(received.map((r) => [r.method, r.path, r.headers["idem-key"]])).toEqual([
      ["POST", "/orders", "k-1"],
      ["POST", "/orders", undefined],
      ["GET", "/orders/17", undefined],
      ["POST", "/elsewhere", undefined],
      ["POST", "/api/", undefined],
      ["POST", "/api/", undefined],
    ]);
  });
});

describe("the origin's credential reaches only the requests a route sends (issue 22, item 1)", () => {
  const SECRET = "origin-auth-e2e-7c1d0b5a93f2";
  let origin: DemoOrigin;
  let worker: BundledWorker;
  beforeAll(async () => {
    origin = await startOrdersOrigin();
    worker = await startBundledWorker({
      bundle: inject("bundlePath"),
      config: { origin: { url: origin.url, headers: { "X-Origin-Auth": { secret: "ORIGIN_AUTH" } } }, routes: [{ name: "orders", path: "/orders" }] },
      bindings: { ORIGIN_AUTH: SECRET },
    });
  });
  afterAll(async () => {
    await worker?.dispose();
    await origin?.close();
  });

  /** A request over raw HTTP: fetch() refuses TRACE, TRACK and CONNECT. What came back, or how the connection ended. */
  function raw(method: string, path: string, tag: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(new URL(path, worker.url), { method, headers: { "demo-tag": tag } }, (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          body += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      });
      // A CONNECT answered 2xx becomes a tunnel; anything else comes back as a response.
      request.on("connect", (response, socket) => {
        socket.destroy();
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: "" });
      });
      request.on("error", reject);
      request.end();
    });
  }

  it("answers TRACE with 405 and Allow; the origin never sees it", async () => {
    const tag = `TRACE-${Date.now()}`;
    for (const path of ["/anything", "/orders", "/reflect"]) {
      const response = await raw("TRACE", path, tag);
      expect(response.status).toBe(405);
      expect(response.headers.allow).toBe("GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE");
      expect((JSON.parse(response.body) as Problem).type).toBe("urn:idem:problem:method-not-allowed");
      expect(response.body).not.toContain(SECRET);
    }
    expect(origin.received.filter((r) => r.tag === tag)).toEqual([]);
  });

  // workerd itself answers these before the Worker runs (TRACK: 501); planning refuses them too, for a runtime that would not.
  it.each(["TRACK", "CONNECT"])("never sends %s to the origin", async (method) => {
    const tag = `${method}-${Date.now()}`;
    const response = await raw(method, "/anything", tag).catch((error: Error) => ({ status: 0, headers: {}, body: error.message }));
    expect(response.status).not.toBe(200);
    expect(response.body).not.toContain(SECRET);
    expect(origin.received.filter((r) => r.tag === tag)).toEqual([]);
  });

  it("adds no credential to a request no route takes: a header-reflecting endpoint shows none", async () => {
    const tag = `reflect-${Date.now()}`;
    const reflected = await fetch(new URL("/reflect", worker.url), { headers: { "demo-tag": tag } });
    expect(reflected.status).toBe(200);
    expect(await reflected.text()).not.toContain(SECRET);
    await fetch(new URL("/orders", worker.url), {
      method: "POST",
      headers: { "demo-tag": tag, authorization: "Bearer alice", "idempotency-key": tag },
    });
    expect(origin.received.filter((r) => r.tag === tag).map((r) => [r.method, r.path, r.headers["x-origin-auth"]])).toEqual([
      ["GET", "/reflect", undefined],
      ["POST", "/orders", SECRET],
    ]);
  });
});

describe("callers Idem cannot identify are refused by default (issue 22, item 2)", () => {
  const stack = useBundledStack({ origin: startOrdersOrigin, routes: [{ name: "orders", path: "/orders" }] });
  const post = (tag: string, key: string, headers: Record<string, string>) =>
    fetch(new URL("/orders", stack().worker.url), {
      method: "POST",
      headers: { "demo-tag": tag, "idempotency-key": key, "content-type": "application/json", ...headers },
      body: JSON.stringify({ item: "book" }),
    });

  it("never gives one caller another's stored answer: two API keys the route does not scope by are both refused", async () => {
    const tag = `anonymous-${Date.now()}`;
    const alice = await post(tag, tag, { "x-api-key": "alice" });
    const mallory = await post(tag, tag, { "x-api-key": "mallory" });
    for (const response of [alice, mallory]) {
      expect(response.status).toBe(400);
      const problem = (await response.json()) as Problem;
      expect(problem.type).toBe("urn:idem:problem:caller-unidentified");
      expect(problem.detail).toContain('scope = ["header:Cookie"]');
    }
    expect(stack().origin.received.filter((r) => r.tag === tag)).toEqual([]);
  });

  it.each(["Bearer", "Bearer null", "Bearer undefined", "null", ""])("counts Authorization %j as no credential", async (authorization) => {
    const tag = `placeholder-${Date.now()}-${authorization.length}`;
    const response = await post(tag, tag, { authorization });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Problem).type).toBe("urn:idem:problem:caller-unidentified");
    expect(stack().origin.received.filter((r) => r.tag === tag)).toEqual([]);
  });

  it("runs a caller with a credential, once", async () => {
    const tag = `identified-${Date.now()}`;
    const first = await post(tag, tag, { authorization: "Bearer alice" });
    const retry = await post(tag, tag, { authorization: "Bearer alice" });
    expect(first.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(stack().origin.received.filter((r) => r.tag === tag)).toHaveLength(1);
  });
});

describe("the shipped Erply example counts a clientCode without sessionKey as no caller (issue 22, item 2)", () => {
  const stack = useBundledStack({ origin: startErplyOrigin, example: "examples/erply/wrangler.toml" });

  it.each([undefined, "", "null"])("answers sessionKey %j with 1010, never calling the API", async (sessionKey) => {
    const tag = `erply-anonymous-${Date.now()}-${sessionKey}`;
    const params = new URLSearchParams({ clientCode: "104711", request: "saveSalesDocument", temporaryUUID: crypto.randomUUID() });
    if (sessionKey !== undefined) params.set("sessionKey", sessionKey);
    const response = await fetch(new URL("/api/", stack().worker.url), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "demo-tag": tag },
      body: params.toString(),
    });
    const answer = (await response.json()) as { status: { responseStatus: string; errorCode: number } };
    expect(answer.status).toMatchObject({ responseStatus: "error", errorCode: 1010 });
    expect(stack().origin.received.filter((r) => r.tag === tag)).toEqual([]);
  });
});
