/**
 * Route matching that mirrors an origin whose router ignores case, merges
 * slashes and drops `;param` path parameters, and the admin prefix in every
 * spelling such a router would take for it.
 */
import { describe, expect, it } from "vitest";
import type { ReceivedRequest } from "../../demo/received-request.ts";
import type { Plain } from "../../src/config/describe.ts";
import type { DemoTarget } from "./encoding-proofs.ts";
import { newTag, originLogAt } from "./origin-log.ts";

/** The routes both configs of these proofs have. */
export const PATH_ROUTES: Plain[] = [
  { name: "orders", path: "/orders" },
  { name: "strict", path: "/strict", key: { required: true } },
  { name: "checkout", path: "/carts/:cartId/checkout", key: { source: "path:cartId" } },
];
/** The mirrored config's top-level setting. */
export const MIRRORED_PATHS: Plain = { caseInsensitive: true, mergeSlashes: true, stripParams: true };
const auth = "Bearer path-tests";

/** A client request to `path`, written as is (its host is replaced by each target's). */
function clientRequest(path: string, options: { tag: string; key?: string; auth?: string; json?: unknown; method?: string }): Request {
  const headers = new Headers({ "demo-tag": options.tag });
  if (options.key !== undefined) headers.set("idempotency-key", options.key);
  if (options.auth !== undefined) headers.set("authorization", options.auth);
  if (options.json !== undefined) headers.set("content-type", "application/json");
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  return new Request(`https://idem.test${path}`, { method: options.method ?? "POST", headers, body });
}

/**
 * Registers the path tests: `exact` runs PATH_ROUTES as they are, `mirrored` with `pathMatching = MIRRORED_PATHS`.
 *
 * @example
 * pathProofs(() => ({ exact, mirrored }));
 */
export function pathProofs(targets: () => { exact: DemoTarget; mirrored: DemoTarget }): void {
  const via = (which: "exact" | "mirrored") => (request: Request) => {
    const target = targets()[which];
    const url = new URL(request.url);
    // The path is taken as written (a URL object would resolve nothing here: no dot-segments are used).
    return target.send(new Request(`${target.base.replace(/\/$/, "")}${url.pathname}${url.search}`, request));
  };
  const exact = via("exact");
  const mirrored = via("mirrored");
  // What the origins behind both configs received (one origin inside workerd, one each against the bundle).
  const originLog = async (tag: string) => {
    const urls = [...new Set([targets().exact.originUrl, targets().mirrored.originUrl])];
    return (await Promise.all(urls.map((url) => originLogAt<ReceivedRequest>(url, tag)))).flat();
  };

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
      for (const path of ["/Strict", "//strict", "/strict;x"])
        expect((await mirrored(clientRequest(path, { tag, auth, json: {} }))).status).toBe(400);
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
    it.each([
      "/__idem/health",
      "/__IDEM/health",
      "//__idem/health",
      "/__idem;x=1/health",
      "/%5F_idem/health",
      "/__Idem",
      // An encoded slash or backslash is a separator to many origins (issue 22, item 10).
      "/__idem%2fhealth",
      "/__idem%2Fhealth",
      "/__idem%5chealth",
      "/__IDEM%5Crecords",
      "/%2f__idem/health",
    ])("answers %s itself, so it never reaches the origin", async (path) => {
      const tag = newTag();
      for (const send of [exact, mirrored]) {
        const response = await send(clientRequest(path, { tag, method: "GET" }));
        expect(((await response.json()) as { type: string }).type).toMatch(/^urn:idem:problem:admin-/);
      }
      expect(await originLog(tag)).toHaveLength(0);
    });
  });
}
