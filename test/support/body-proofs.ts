/**
 * Issue 22 items 6, 8 and 9: what a request body is to Idem. Two different
 * bodies never share a fingerprint; a route that needs the body never
 * forwards one it could not read; what an origin may read differently
 * (Content-Type parameters, Content-Encoding, duplicate JSON members, a BOM,
 * `?flag` and `?flag=`) is decided, never merged by accident.
 */
import { describe, expect, it } from "vitest";
import type { ReceivedRequest } from "../../demo/received-request.ts";
import type { Plain } from "../../src/config/describe.ts";
import { TEST_CALLER } from "./caller.ts";
import type { DemoTarget } from "./encoding-proofs.ts";
import { type ErplyTarget, erplyAnswer, erplyClient, newAccount } from "./erply-client.ts";
import { newTag, originLogAt } from "./origin-log.ts";

/** The routes these proofs run with, in front of the orders demo origin. */
export const BODY_ROUTES: Plain[] = [
  // Reads no field from the body: a keyed request's fingerprint hashes it.
  { name: "raw", path: "/raw" },
  // Deduplicates orders by a JSON field, as a new user would configure it.
  { name: "orders", path: "/orders", dedup: [{ name: "same-item", prerequisites: ["body:item"], compare: ["body:item"] }] },
  // Takes a request only when a body field says so.
  { name: "kinds", path: "/kinds", when: { "body:kind": "order" } },
  // Takes its key, or its document ID, from the body.
  { name: "uploads", path: "/uploads", key: { source: "body:uploadId" } },
  { name: "notes", path: "/notes", methods: ["PUT"], document: { id: "body:noteId" } },
];

/** Bytes compressed with the runtime's CompressionStream, as a client sending `Content-Encoding: gzip` does. */
async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

type Sent = { headers: Record<string, string>; body: string | Uint8Array | FormData };

/**
 * Registers the body tests for one way of reaching Idem configured with BODY_ROUTES.
 *
 * @example
 * bodyProofs(() => ({ send: gatewayFor({ routes: BODY_ROUTES }), base: "https://idem.test", originUrl: env.ORIGIN_URL }));
 */
export function bodyProofs(target: () => DemoTarget): void {
  const send = (request: Request) => target().send(request);
  const originLog = (tag: string) => originLogAt<ReceivedRequest>(target().originUrl, tag);
  const post = (
    path: string,
    tag: string,
    key: string,
    contentType: string,
    body: string | Uint8Array | FormData,
    headers: Record<string, string> = {},
  ) => {
    const all = new Headers({ "demo-tag": tag, authorization: TEST_CALLER, ...headers });
    if (key) all.set("idempotency-key", key);
    if (contentType) all.set("content-type", contentType);
    return send(new Request(new URL(path, target().base), { method: "POST", headers: all, body }));
  };
  const problemOf = async (response: Response) => (await response.json()) as { type: string; detail: string };

  describe("a parsed body and a body hashed as bytes", () => {
    it("never share a fingerprint: broken JSON spelling a JSON body's hash input is another request (422)", async () => {
      const tag = newTag();
      const key = newTag();
      expect((await post("/raw", tag, key, "application/json", '{"item":"book"}')).status).toBe(200);
      const forged = await post("/raw", tag, key, "application/json", 'json:{"item":"book"}');
      expect(forged.status).toBe(422);
      expect(await originLog(tag)).toHaveLength(1);
    });

    it("never share a fingerprint: a broken multipart body spelling a form's hash input is another request (422)", async () => {
      const tag = newTag();
      const key = newTag();
      const form = new FormData();
      form.append("item", "book");
      expect((await post("/raw", tag, key, "", form)).status).toBe(200);
      const forged = await post("/raw", tag, key, "multipart/form-data; boundary=x", 'form:[["item","book"]]:[]');
      expect(forged.status).toBe(422);
      expect(await originLog(tag)).toHaveLength(1);
    });
  });

  describe("a route that needs the body never forwards one it cannot read", () => {
    const order = '{"item":"book"}';
    const unread: [string, () => Promise<Sent>][] = [
      // As bytes: a string body would get the runtime's default text/plain.
      ["JSON sent without a Content-Type", async () => ({ headers: {}, body: new TextEncoder().encode(order) })],
      ["JSON sent as curl's default form type", async () => ({ headers: { "content-type": "application/x-www-form-urlencoded" }, body: order })],
      ["JSON sent as text/plain", async () => ({ headers: { "content-type": "text/plain" }, body: order })],
      ["gzip-encoded JSON", async () => ({ headers: { "content-type": "application/json", "content-encoding": "gzip" }, body: await gzip(order) })],
    ];

    it.each(unread)("%s to a route that deduplicates by a JSON field: 415, never executed", async (_case, sent) => {
      const tag = newTag();
      for (let i = 0; i < 2; i++) {
        const { headers, body } = await sent();
        const response = await post("/orders", tag, "", "", body, { authorization: `Bearer ${tag}`, ...headers });
        expect(response.status).toBe(415);
        expect((await problemOf(response)).type).toMatch(/unsupported-media-type$/);
      }
      expect(await originLog(tag)).toHaveLength(0);
    });

    it("the same order sent as JSON is deduplicated: executed once", async () => {
      const tag = newTag();
      for (let i = 0; i < 2; i++) await post("/orders", tag, "", "application/json", order, { authorization: `Bearer ${tag}` });
      expect(await originLog(tag)).toHaveLength(1);
    });

    it("a body its `when` condition cannot be read from is refused (415), not passed through unguarded", async () => {
      const tag = newTag();
      const response = await post("/kinds", tag, newTag(), "text/plain", '{"kind":"order"}');
      expect(response.status).toBe(415);
      expect((await problemOf(response)).detail).toContain("body:kind");
      expect(await originLog(tag)).toHaveLength(0);
    });

    it.each([
      ["a key", "POST", "/uploads", '{"uploadId":"u-1"}'],
      ["a document ID", "PUT", "/notes", '{"noteId":"n-1"}'],
    ])("a body %s is read from, sent without a Content-Type, is refused (415), never executed", async (_what, method, path, body) => {
      const tag = newTag();
      for (let i = 0; i < 2; i++) {
        const sent = new Request(new URL(path, target().base), { method, headers: { "demo-tag": tag }, body: new TextEncoder().encode(body) });
        const response = await send(sent);
        expect(response.status).toBe(415);
        expect((await problemOf(response)).detail).toContain("without a Content-Type");
      }
      expect(await originLog(tag)).toHaveLength(0);
    });

    it("a gzip bomb gets a defined answer without being inflated (415)", async () => {
      const tag = newTag();
      const bomb = await gzip("0".repeat(8 * 1024 * 1024));
      const response = await post("/orders", tag, "", "application/json", bomb, { authorization: `Bearer ${tag}`, "content-encoding": "gzip" });
      expect(response.status).toBe(415);
      expect(await originLog(tag)).toHaveLength(0);
    });
  });

  describe("what an origin may read differently is never one request", () => {
    it("another Content-Type charset is another request (422)", async () => {
      const tag = newTag();
      const key = newTag();
      expect((await post("/raw", tag, key, "application/json", '{"a":1}')).status).toBe(200);
      expect((await post("/raw", tag, key, "application/json; charset=utf-8", '{"a":1}')).status).toBe(422);
      expect((await post("/raw", tag, key, "application/json", '{"a":1}')).headers.get("idempotent-replayed")).toBe("true");
      expect(await originLog(tag)).toHaveLength(1);
    });

    it("the same bytes with and without Content-Encoding are two requests (422)", async () => {
      const tag = newTag();
      const key = newTag();
      const bytes = await gzip('{"a":1}');
      expect((await post("/raw", tag, key, "application/octet-stream", bytes, { "content-encoding": "gzip" })).status).toBe(200);
      expect((await post("/raw", tag, key, "application/octet-stream", bytes)).status).toBe(422);
      expect(await originLog(tag)).toHaveLength(1);
    });

    it("a JSON body with a member named twice, or a byte order mark, is refused (400)", async () => {
      const tag = newTag();
      for (const body of ['{"a":1,"a":2}', '\uFEFF{"a":1}']) {
        const response = await post("/raw", tag, newTag(), "application/json", body);
        expect(response.status).toBe(400);
        expect((await problemOf(response)).type).toMatch(/invalid-body$/);
      }
      expect(await originLog(tag)).toHaveLength(0);
    });

    it("?flag and ?flag= are two requests (422): some origins (Rack) tell them apart", async () => {
      const tag = newTag();
      const key = newTag();
      expect((await post("/raw?flag", tag, key, "application/json", "{}")).status).toBe(200);
      expect((await post("/raw?flag=", tag, key, "application/json", "{}")).status).toBe(422);
      expect(await originLog(tag)).toHaveLength(1);
    });
  });
}

/**
 * Registers the tests of requests an Erply client may send to its PHP back end, with the shipped
 * examples/erply config (`parsing = "php"`), in front of the Erply-like origin, which reads as PHP does.
 *
 * @example
 * erplyBodyProofs(() => erplyGateway());
 */
export function erplyBodyProofs(target: () => ErplyTarget): void {
  const { calls } = erplyClient(target);
  const sale = () => ({ ...newAccount(), request: "saveSalesDocument", temporaryUUID: newTag(), productID1: "42", amount1: "2" });
  const send = (tag: string, contentType: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
    target().send(
      new Request(new URL("/api/", target().base), { method: "POST", headers: { "content-type": contentType, "demo-tag": tag, ...headers }, body }),
    );
  const form = (params: Record<string, string>) => new URLSearchParams(params).toString();

  describe("Erply's PHP back end: a single-use temporaryUUID is saved once however the client spells the request", () => {
    it("with the Content-Type 'application/x-www-form-urlencoded, text/plain' (PHP reads a form)", async () => {
      const tag = newTag();
      const params = sale();
      const answers = [];
      for (let i = 0; i < 2; i++) answers.push(await erplyAnswer(await send(tag, "application/x-www-form-urlencoded, text/plain", form(params))));
      expect(answers.map((answer) => answer.status.errorCode)).toEqual([0, 1206]);
      expect(await calls(tag)).toHaveLength(1);
    });

    it("with field names that start with a space (PHP drops it)", async () => {
      const tag = newTag();
      const params = sale();
      const body = Object.entries(params)
        .map(([name, value]) => `%20${name}=${encodeURIComponent(value)}`)
        .join("&");
      const answers = [];
      for (let i = 0; i < 2; i++) answers.push(await erplyAnswer(await send(tag, "application/x-www-form-urlencoded", body)));
      expect(answers.map((answer) => answer.status.errorCode)).toEqual([0, 1206]);
      expect(await calls(tag)).toHaveLength(1);
    });

    it("gzip-encoded (an origin that inflates it): refused (Erply's 1015), never executed", async () => {
      const tag = newTag();
      const body = await gzip(form(sale()));
      for (let i = 0; i < 2; i++) {
        const answer = await erplyAnswer(await send(tag, "application/x-www-form-urlencoded", body, { "content-encoding": "gzip" }));
        expect(answer.status.errorCode).toBe(1015);
      }
      expect(await calls(tag)).toHaveLength(0);
    });
  });
}
