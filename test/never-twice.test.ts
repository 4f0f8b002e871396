import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { streamThrough } from "../src/origin/pass-through.ts";
import { gatewayFor, newTag, originLog } from "./support/gateway.ts";
import { NEVER_TWICE_ADMIN_TOKEN, NEVER_TWICE_CONFIG, neverTwiceProofs } from "./support/never-twice-proofs.ts";

const bindings = { ADMIN_TOKEN: NEVER_TWICE_ADMIN_TOKEN };
const send = gatewayFor(NEVER_TWICE_CONFIG, bindings);
// Same config and storage, origin on a port where nothing listens: the same records, an origin that is down.
const sendToDeadOrigin = gatewayFor({ ...NEVER_TWICE_CONFIG, origin: env.DEAD_ORIGIN_URL }, bindings);

neverTwiceProofs(() => ({ send, base: "https://idem.test", originUrl: env.ORIGIN_URL, sendWhileOriginRefuses: sendToDeadOrigin }));

describe("a GET or HEAD with a body (a Request cannot carry one here, so the pass-through is called directly)", () => {
  it.each(["GET", "HEAD"])("%s: the body is dropped and the healthy origin answers; it is not reported as down", async (method) => {
    const tag = newTag();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"ignored":true}'));
        controller.close();
      },
    });
    const result = await streamThrough({ url: `${env.ORIGIN_URL}/things`, method, headers: [["demo-tag", tag]], body }, 1_000);
    expect(result).toMatchObject({ ok: true, status: 200 });
    if (result.ok) await new Response(result.body).arrayBuffer();
    const [received] = await originLog(tag);
    expect(received).toMatchObject({ method, body: "" });
  });
});
