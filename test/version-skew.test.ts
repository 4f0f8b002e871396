/**
 * Worker and object versions roll out separately, so for seconds to minutes
 * a Worker can call an object running the previous code, and the reverse.
 * Every message carries OBJECT_PROTOCOL; a side that meets another version
 * refuses without acting, and the client gets a retryable 503 version-skew.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ConfigInput } from "../src/config/schema.ts";
import type { Env } from "../src/env.ts";
import { OBJECT_PROTOCOL } from "../src/protocol/messages.ts";
import { bulkAnswer, bulkRequest, newAccount } from "./support/erply-client.ts";
import { clientRequest, gatewayFor, newTag, originLog } from "./support/gateway.ts";
import { locateKeyRecord, readKeyRecord } from "./support/key-records.ts";
import { originLogAt } from "./support/origin-log.ts";

const config = { routes: [{ name: "orders", path: "/orders" }] };

/** A KeyObject call as the Worker of OBJECT_PROTOCOL sends it, with the given versions on the call and its exchange. */
function keyCall(tag: string, id: string, protocol: number | undefined, exchangeProtocol = protocol, document?: unknown) {
  return {
    ...(protocol === undefined ? {} : { protocol }),
    id,
    fingerprint: "f".repeat(64),
    policy: {
      route: "orders",
      kind: "key",
      mode: "replay",
      concurrency: "wait",
      waitTimeoutMs: 1_000,
      lockTimeoutMs: 6_000,
      ttlMs: 60_000,
      neverStore: [],
      successWhen: [],
      onUnknownOutcome: "remember",
    },
    exchange: {
      ...(exchangeProtocol === undefined ? {} : { protocol: exchangeProtocol }),
      origin: { url: `${env.ORIGIN_URL}/orders`, method: "POST", headers: [["demo-tag", tag]], body: new TextEncoder().encode("{}") },
      originTimeoutMs: 1_000,
      bufferLimit: 1024 * 1024,
      ...(document === undefined ? {} : { document }),
    },
  };
}

/** The flat call of the Worker before versions (and before calls carried a policy), as it reached `KeyObject.handle`. */
function unversionedCall(tag: string, id: string) {
  const { policy, exchange, ...call } = keyCall(tag, id, undefined);
  return { ...call, ...policy, ...exchange };
}

interface Refusal {
  type: string;
  kind: string;
  detail: string;
  retryAfterSeconds: number;
}

describe("a Worker of the previous version calls the new KeyObject", () => {
  it("its call (KeyObject.handle, no version) finds no such method: nothing runs, nothing is stored", async () => {
    const tag = newTag();
    const location = await locateKeyRecord(config, "orders", `old-${tag}`);
    const stub = location.stub as unknown as { handle(call: unknown): Promise<unknown> };
    let refused: unknown;
    try {
      await stub.handle(unversionedCall(tag, location.id));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(TypeError);
    expect((refused as Error).message).toBe('The RPC receiver does not implement "handle".');
    expect(await originLog(tag)).toHaveLength(0);
    expect(await readKeyRecord(location)).toBeUndefined();
  });

  it.each([
    ["without a version", undefined],
    ["of an older version", OBJECT_PROTOCOL - 1],
    ["of a newer version", OBJECT_PROTOCOL + 1],
  ])("a message %s is refused untouched with a retryable version-skew", async (_case, protocol) => {
    const tag = newTag();
    const location = await locateKeyRecord(config, "orders", `skew-${tag}`);
    const stub = location.stub as unknown as { decide(call: unknown): Promise<Refusal> };
    const refused = await stub.decide(protocol === undefined ? unversionedCall(tag, location.id) : keyCall(tag, location.id, protocol));
    expect(refused).toMatchObject({ type: "error", kind: "version-skew", retryAfterSeconds: 1 });
    expect(refused.detail).toContain("not forwarded");
    expect(await originLog(tag)).toHaveLength(0);
    expect(await readKeyRecord(location)).toBeUndefined();
  });
});

describe("the new Worker calls a KeyObject of the previous version", () => {
  it("that object has no KeyObject.decide: the client gets 503 version-skew with Retry-After, the origin is not called", async () => {
    const tag = newTag();
    // A real object without `decide`, as the previous KeyObject was: the gateway's call cannot reach old code.
    const olderObjects = { KEYS: env.DOCUMENTS as unknown as Env["KEYS"] };
    const send = gatewayFor(config, olderObjects);
    const response = await send(clientRequest("/orders", { tag, key: `older-${tag}`, json: {} }));
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    const problem = (await response.json()) as { type: string; detail: string };
    expect(problem.type).toBe("urn:idem:problem:version-skew");
    expect(problem.detail).toContain("not forwarded");
    expect(await originLog(tag)).toHaveLength(0);

    // Once the rollout is through, the same request runs, once.
    const retry = await gatewayFor(config)(clientRequest("/orders", { tag, key: `older-${tag}`, json: {} }));
    expect(retry.status).toBe(201);
    expect(await originLog(tag)).toHaveLength(1);
  });
});

describe("the DocumentObject checks the version too", () => {
  it.each([
    ["without a version", undefined],
    ["of a newer version", OBJECT_PROTOCOL + 1],
  ])("a call %s is refused as never begun with a kind every version knows: not forwarded", async (_case, protocol) => {
    const tag = newTag();
    const stub = env.DOCUMENTS.get(env.DOCUMENTS.idFromName(`doc-${tag}`)) as unknown as {
      run(call: unknown): Promise<Refusal & { ok: boolean; end: string }>;
    };
    const document = { objectName: `doc-${tag}`, placement: {}, isDelete: false, editTimeoutMs: 1_000 };
    const refused = await stub.run(keyCall(tag, "x", protocol, protocol, document).exchange);
    expect(refused).toMatchObject({ ok: false, end: "never-began", kind: "coordinator-unavailable" });
    expect(refused.detail).toContain("not forwarded");
    expect(await originLog(tag)).toHaveLength(0);
  });
});

describe("a KeyObject whose document's object speaks another version", () => {
  it("gets the refusal as never begun: the key is released and the client may retry at once", async () => {
    const tag = newTag();
    const location = await locateKeyRecord(config, "orders", `doc-skew-${tag}`);
    const stub = location.stub as unknown as { decide(call: unknown): Promise<Refusal> };
    const document = { objectName: `doc-skew-${tag}`, placement: {}, isDelete: false, editTimeoutMs: 1_000 };
    const refused = await stub.decide(keyCall(tag, location.id, OBJECT_PROTOCOL, OBJECT_PROTOCOL + 1, document));
    expect(refused).toMatchObject({ type: "error", kind: "coordinator-unavailable", retryAfterSeconds: 1 });
    expect(refused.detail).toContain("not forwarded");
    expect(await originLog(tag)).toHaveLength(0);
    expect(await readKeyRecord(location)).toBeUndefined();
  });
});

describe("the new Worker sends a bulk request to KeyObjects of the previous version", () => {
  it("they have no runBatch: each call that would have gone to the origin gets version-skew in place, nothing runs", async () => {
    const tag = newTag();
    const send = gatewayFor(
      { ...(env.ERPLY_IDEM_CONFIG as Omit<ConfigInput, "origin">), origin: env.ERPLY_ORIGIN_URL },
      { KEYS: env.DOCUMENTS as unknown as Env["KEYS"] },
    );
    const calls = [
      { requestName: "saveSalesDocument", requestID: 1, temporaryUUID: `older-${tag}` },
      { requestName: "getProducts", requestID: 2 },
    ];
    const answer = await bulkAnswer(await send(bulkRequest("https://idem.test", newAccount(), calls, { tag })));
    expect(answer.requests.map((entry) => [entry.status.requestID, entry.status.errorCode])).toEqual([
      [1, 503],
      [2, 503],
    ]);
    expect(await originLogAt(env.ERPLY_ORIGIN_URL, tag)).toHaveLength(0);
  });

  it("a runBatch message of another version is refused untouched, call by call", async () => {
    const tag = newTag();
    const stub = env.KEYS.get(env.KEYS.idFromName(`batch-${tag}`)) as unknown as { runBatch(call: unknown): Promise<{ results: Refusal[] }> };
    const refused = await stub.runBatch({ protocol: OBJECT_PROTOCOL + 1, runner: `batch-${tag}`, placement: {}, bulk: {}, calls: [{}, {}] });
    expect(refused.results).toHaveLength(2);
    for (const result of refused.results) expect(result).toMatchObject({ type: "error", kind: "version-skew", retryAfterSeconds: 1 });
  });
});
