import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { streamThrough } from "../src/origin/pass-through.ts";
import { clientRequest, gatewayFor, newTag, originLog, originReceived } from "./support/gateway.ts";
import { NEVER_TWICE_ADMIN_TOKEN, NEVER_TWICE_CONFIG, neverTwiceProofs } from "./support/never-twice-proofs.ts";

const bindings = { ADMIN_TOKEN: NEVER_TWICE_ADMIN_TOKEN };
const send = gatewayFor(NEVER_TWICE_CONFIG, bindings);
// Same config and storage, origin on a port where nothing listens: the same records, an origin that is down.
const sendToDeadOrigin = gatewayFor({ ...NEVER_TWICE_CONFIG, origin: env.DEAD_ORIGIN_URL }, bindings);

neverTwiceProofs(() => ({ send, base: "https://idem.test", originUrl: env.ORIGIN_URL, sendWhileOriginRefuses: sendToDeadOrigin }));

describe("an origin whose name did not resolve, then does", () => {
  // Same config and storage, the origin named by a host no resolver knows: the same records, a DNS failure.
  const sendUnresolved = gatewayFor({ ...NEVER_TWICE_CONFIG, origin: "http://idem-orders.invalid" }, bindings);

  it("the key was released: the retry runs at the origin, once", async () => {
    const tag = newTag();
    const request = () => clientRequest("/orders", { tag, key: `resolves-later-${tag}`, json: { item: "lamp" } });
    const first = await sendUnresolved(request());
    expect(first.status).toBe(502);
    expect(((await first.json()) as { type: string }).type).toBe("urn:idem:problem:origin-unreachable");
    expect(await originLog(tag)).toHaveLength(0);
    expect((await send(request())).status).toBe(201);
    const replay = await send(request());
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await originLog(tag)).toHaveLength(1);
  });
});

describe("a GET or HEAD with a body (a Request cannot carry one here, so the pass-through is called directly)", () => {
  it.each(["GET", "HEAD"])("%s: the body is dropped and the healthy origin answers; it is not reported as down", async (method) => {
    const tag = newTag();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"ignored":true}'));
        controller.close();
      },
    });
    const result = await streamThrough(env, { url: `${env.ORIGIN_URL}/things`, method, headers: new Headers([["demo-tag", tag]]), body }, 1_000);
    expect(result).toMatchObject({ ok: true, status: 200 });
    if (result.ok) await new Response(result.body).arrayBuffer();
    const [received] = await originLog(tag);
    expect(received).toMatchObject({ method, body: "" });
  });
});

describe("an unknown outcome beyond a plain keyed request", () => {
  const sendOther = gatewayFor({
    originTimeoutMs: 3_000,
    routes: [
      { name: "single-use", path: "/single-use", mode: "reject" },
      { name: "invoices", path: "/invoices", dedup: [{ name: "invoice", prerequisites: ["body:number"], compare: ["body:number"] }] },
      { name: "orders", path: "/orders" },
    ],
  });
  const typeOf = async (response: Response) => ((await response.json()) as { type: string }).type.replace("urn:idem:problem:", "");

  it("a single-use key (mode reject): its reuse is told the outcome is unknown, not that the key was used", async () => {
    const tag = newTag();
    const key = `single-${tag}`;
    const first = await sendOther(clientRequest("/single-use", { tag, key, json: {}, headers: { "demo-reset": "1" } }));
    expect(first.status).toBe(502);
    const reuse = await sendOther(clientRequest("/single-use", { tag, key, json: { other: true } }));
    expect(reuse.status).toBe(502);
    expect(reuse.headers.get("idempotent-replayed")).toBe("true");
    expect(await typeOf(reuse)).toBe("outcome-unknown");
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("a dedup rule: a copy of a document whose outcome is unknown is told so, and never reaches the origin", async () => {
    const tag = newTag();
    const invoice = { number: `INV-${tag}`, total: 10 };
    const first = await sendOther(clientRequest("/invoices", { tag, json: invoice, headers: { "demo-reset": "1" } }));
    expect(first.status).toBe(502);
    expect(await typeOf(first)).toBe("outcome-unknown");
    const copy = await sendOther(clientRequest("/invoices", { tag, json: invoice }));
    expect(copy.status).toBe(502);
    expect(copy.headers.get("idempotent-replayed")).toBe("true");
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("a retry waiting for the first attempt is told the same when that attempt's outcome turns out unknown", async () => {
    const tag = newTag();
    const key = `waiting-${tag}`;
    const first = sendOther(clientRequest("/orders", { tag, key, json: {}, headers: { "demo-delay": "300", "demo-reset": "1" } }));
    await originReceived(tag, 1);
    const waiting = await sendOther(clientRequest("/orders", { tag, key, json: {} }));
    expect(waiting.status).toBe(502);
    expect(waiting.headers.get("idempotent-replayed")).toBe("true");
    expect(await typeOf(waiting)).toBe("outcome-unknown");
    expect((await first).headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(1);
  });
});

describe("forwardKey", () => {
  const sendKeyed = gatewayFor({
    routes: [
      { name: "key-to-origin", path: "/orders", forwardKey: { header: "X-Client-Key", value: "key" } },
      {
        name: "invoices",
        path: "/invoices",
        forwardKey: { header: "X-Client-Key", value: "key" },
        dedup: [{ name: "invoice", prerequisites: ["body:number"], compare: ["body:number"] }],
      },
    ],
  });

  it('value "key" sends the key as the client sent it; a dedup-covered request has none, and any such header of the client is dropped', async () => {
    const tag = newTag();
    await sendKeyed(clientRequest("/orders", { tag, key: `"quoted-${tag}"`, json: {} }));
    await sendKeyed(clientRequest("/invoices", { tag, json: { number: `INV-${tag}` }, headers: { "x-client-key": "forged" } }));
    const [keyed, deduplicated] = await originLog(tag);
    expect(keyed?.headers["x-client-key"]).toBe(`quoted-${tag}`);
    expect(deduplicated?.headers["x-client-key"]).toBeUndefined();
  });
});
