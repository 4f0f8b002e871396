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
import { newTag, originLogAt } from "./origin-log.ts";

/** The routes these proofs run with, in front of the orders demo origin. */
export const BODY_ROUTES: Plain[] = [{ name: "raw", path: "/raw" }];

/**
 * Registers the body tests for one way of reaching Idem configured with BODY_ROUTES.
 *
 * @example
 * bodyProofs(() => ({ send: gatewayFor({ routes: BODY_ROUTES }), base: "https://idem.test", originUrl: env.ORIGIN_URL }));
 */
export function bodyProofs(target: () => DemoTarget): void {
  const send = (request: Request) => target().send(request);
  const originLog = (tag: string) => originLogAt<ReceivedRequest>(target().originUrl, tag);
  const post = (path: string, tag: string, key: string, contentType: string, body: string | FormData) => {
    const headers = new Headers({ "demo-tag": tag, "idempotency-key": key, authorization: TEST_CALLER });
    if (contentType) headers.set("content-type", contentType);
    return send(new Request(new URL(path, target().base), { method: "POST", headers, body }));
  };

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
}
