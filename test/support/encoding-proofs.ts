/**
 * Every guard reads a request the same way whatever its encoding: JSON under
 * each JSON media type, urlencoded forms and multipart/form-data (file parts
 * by content digest), with values compared as sent.
 */
import { describe, expect, it } from "vitest";
import type { ReceivedRequest } from "../../demo/received-request.ts";
import type { Plain } from "../../src/config/describe.ts";
import { TEST_CALLER } from "./caller.ts";
import { newTag, originLogAt } from "./origin-log.ts";

/** Idem in front of the orders demo origin, as a test reaches it. */
export interface DemoTarget {
  send(request: Request): Promise<Response>;
  /** Idem's base URL (any host inside workerd). */
  base: string;
  originUrl: string;
}

/** The routes these proofs run with (as JSON: the bundled Worker takes them as its config). */
export const ENCODING_ROUTES: Plain[] = [
  { name: "orders", path: "/orders", when: { "param:kind": "order" } },
  { name: "by-body-key", path: "/uploads", key: { source: "param:uploadId" } },
  { name: "notes", path: "/notes/:id", methods: ["PUT"], document: { id: "param:noteId" } },
  { name: "raw", path: "/raw" },
];

type Body = { type: string; body: string | FormData | Uint8Array };

const json =
  (type: string) =>
  (fields: Record<string, string>): Body => ({ type, body: JSON.stringify(fields) });
const form = (fields: Record<string, string>): Body => ({ type: "application/x-www-form-urlencoded", body: new URLSearchParams(fields).toString() });
function multipart(fields: Record<string, string | File>): Body {
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  return { type: "", body: data };
}

const ENCODINGS = {
  "application/json": json("application/json"),
  "text/json": json("text/json; charset=utf-8"),
  "application/vnd.api+json": json("application/vnd.api+json"),
  "application/x-www-form-urlencoded": form,
  "multipart/form-data": multipart,
} as const;

/**
 * Registers the encoding tests for one way of reaching Idem configured with ENCODING_ROUTES.
 *
 * @example
 * encodingProofs(() => ({ send: gatewayFor({ routes: ENCODING_ROUTES }), base: "https://idem.test", originUrl: env.ORIGIN_URL }));
 */
export function encodingProofs(target: () => DemoTarget): void {
  const send = (request: Request) => target().send(request);
  const originLog = (tag: string) => originLogAt<ReceivedRequest>(target().originUrl, tag);
  const request = (path: string, tag: string, { type, body }: Body, headers: Record<string, string> = {}, method = "POST"): Request => {
    const all = new Headers({ "demo-tag": tag, authorization: TEST_CALLER, ...headers });
    if (type) all.set("content-type", type);
    return new Request(new URL(path, target().base), { method, headers: all, body });
  };

  describe.each(Object.entries(ENCODINGS))("a body sent as %s", (_, encode) => {
    it("meets the route's `when` condition on a body field, and its key replays only the same fields", async () => {
      const tag = newTag();
      const key = { "idempotency-key": newTag() };
      const first = await send(request("/orders", tag, encode({ kind: "order", item: "book" }), key));
      expect(first.status).toBe(201);
      const retry = await send(request("/orders", tag, encode({ item: "book", kind: "order" }), key));
      expect(retry.headers.get("idempotent-replayed")).toBe("true");
      expect(await retry.text()).toBe(await first.text());
      const changed = await send(request("/orders", tag, encode({ kind: "order", item: "pen" }), key));
      expect(changed.status).toBe(422);
      expect(await originLog(tag)).toHaveLength(1);
    });

    it("does not match the route when the condition's field says otherwise", async () => {
      const tag = newTag();
      const key = { "idempotency-key": newTag() };
      for (let i = 0; i < 2; i++) await send(request("/orders", tag, encode({ kind: "quote" }), key));
      expect(await originLog(tag)).toHaveLength(2);
    });

    it("takes the key from a body field", async () => {
      const tag = newTag();
      const uploadId = newTag();
      await send(request("/uploads", tag, encode({ uploadId, name: "a" })));
      const retry = await send(request("/uploads", tag, encode({ uploadId, name: "a" })));
      expect(retry.headers.get("idempotent-replayed")).toBe("true");
      expect(await originLog(tag)).toHaveLength(1);
    });
  });

  describe("multipart/form-data", () => {
    it("replays a retry whose boundary differs (each send gets a fresh one), and refuses another file content", async () => {
      const tag = newTag();
      const key = { "idempotency-key": newTag() };
      const upload = (content: string) => multipart({ kind: "order", receipt: new File([content], "r.txt", { type: "text/plain" }) });
      const first = request("/orders", tag, upload("v1"), key);
      const retry = request("/orders", tag, upload("v1"), key);
      expect(first.headers.get("content-type")).not.toBe(retry.headers.get("content-type"));
      expect((await send(first)).status).toBe(201);
      expect((await send(retry)).headers.get("idempotent-replayed")).toBe("true");
      expect((await send(request("/orders", tag, upload("v2"), key))).status).toBe(422);
      expect(await originLog(tag)).toHaveLength(1);
    });

    it("refuses to read a field sent as a file part (400), rather than guess", async () => {
      const tag = newTag();
      const response = await send(request("/uploads", tag, multipart({ uploadId: new File(["u-1"], "id.txt") })));
      expect(response.status).toBe(400);
      expect(((await response.json()) as { detail: string }).detail).toContain("sent as a file");
      expect(await originLog(tag)).toHaveLength(0);
    });

    it("queues two edits of one document named in a multipart body", async () => {
      const tag = newTag();
      const noteId = newTag();
      const edit = (text: string, headers: Record<string, string> = {}) =>
        send(request("/notes/1", tag, multipart({ noteId, text }), headers, "PUT"));
      const first = edit("a", { "demo-delay": "300" });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const second = edit("b");
      await Promise.all([first, second]);
      const [a, b] = await originLog(tag);
      expect(b?.startedAt).toBeGreaterThanOrEqual(a?.endedAt ?? Number.POSITIVE_INFINITY);
    });
  });

  describe("exact content", () => {
    it("keeps two keyed requests whose form values differ only in non-UTF-8 bytes apart", async () => {
      const tag = newTag();
      const key = { "idempotency-key": newTag() };
      const latin1 = (byte: string) => ({ type: "application/x-www-form-urlencoded", body: `kind=order&name=caf%${byte}` });
      expect((await send(request("/orders", tag, latin1("E9"), key))).status).toBe(201);
      expect((await send(request("/orders", tag, latin1("E8"), key))).status).toBe(422);
      expect((await send(request("/orders", tag, latin1("E9"), key))).headers.get("idempotent-replayed")).toBe("true");
      expect(await originLog(tag)).toHaveLength(1);
    });

    it("does not read JSON that is not UTF-8 as if it were: its bytes count, and a route that reads a field from it refuses it", async () => {
      const tag = newTag();
      const key = { "idempotency-key": newTag() };
      const body = (byte: number) => ({ type: "application/json", body: new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, byte, 0x22, 0x7d]) });
      expect((await send(request("/raw", tag, body(0xe9), key))).status).toBe(200);
      expect((await send(request("/raw", tag, body(0xe8), key))).status).toBe(422);
      expect((await send(request("/uploads", tag, body(0xe9)))).status).toBe(400);
      expect(await originLog(tag)).toHaveLength(1);
    });
  });
}
