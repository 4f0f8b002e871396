import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { startOrdersOrigin } from "../../demo/orders-origin.ts";
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
    bindings: { ADMIN_TOKEN: TOKEN },
  });
  const lookup = (body: string) =>
    fetch(new URL("/__idem/records/lookup", stack().worker.url), {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body,
    });

  it("refuses an 8 MiB lookup with 413 admin-body-too-large (the default maxRequestBodyBytes is 1 MiB)", async () => {
    const response = await lookup(JSON.stringify({ route: "orders", key: "k", scope: { "header:Authorization": "x".repeat(8 * 1024 * 1024) } }));
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
