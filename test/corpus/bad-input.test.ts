/**
 * Issue 5, the bad-input corpus: hostile and malformed requests, one table
 * row each. Every row must get a clear 4xx (a problem, or the route's own
 * error profile), never a thrown Worker or a 5xx; the origin must never see
 * the request; and a later valid request with the same key must run as new,
 * proving nothing was stored under it.
 */

import { exports } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type ProblemKind, problemType } from "../../src/errors/problem-docs.ts";
import { clientRequest, gatewayFor, newTag, originLog } from "../support/gateway.ts";
import {
  BODIES,
  config,
  type Expected,
  formKeyed,
  invalidBody,
  jsonKeyed,
  jsonKeyFollowUp,
  KEYS,
  nested,
  PATHS,
  withHeaders,
} from "./bad-input-cases.ts";

const send = gatewayFor(config);

/** Checks the refusal and returns nothing: the body format depends on the route's error profile. */
async function expectRefused(response: Response, expected: Expected): Promise<void> {
  expect(response.headers.get("idempotent-replayed")).toBeNull();
  if ("erplyCode" in expected) {
    expect(response.status).toBe(200);
    const envelope = await response.json<{ status: { responseStatus: string; errorCode: number }; records: null }>();
    expect(envelope.status).toMatchObject({ responseStatus: "error", errorCode: expected.erplyCode });
    expect(envelope.records).toBeNull();
    return;
  }
  expect(response.status).toBe(expected.status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const problem = await response.json<{ type: string; status: number; detail: string }>();
  expect(problem.type).toBe(problemType(expected.type as ProblemKind));
  expect(problem.status).toBe(expected.status);
  expect(problem.detail.length).toBeGreaterThan(0);
}

describe.each([
  ["keys", KEYS],
  ["bodies", BODIES],
  ["paths", PATHS],
])("bad %s", (_group, cases) => {
  it.each(cases)("$name", async ({ request, expected, followUp }) => {
    const tag = newTag();
    const key = `corpus-${tag}`;
    const response = await send(request(tag, key));
    await expectRefused(response, expected);
    expect(await originLog(tag)).toHaveLength(0);
    if (followUp) {
      const valid = await send(followUp(tag, key));
      expect(valid.status).toBeLessThan(300);
      expect(valid.headers.get("idempotent-replayed")).toBeNull();
      expect(await originLog(tag)).toHaveLength(1);
    }
  });
});

describe("JSON nested deep enough to exhaust the parser's stack", () => {
  // 400,000 levels fit in the default 1 MiB body limit.
  const sendWithDefaultLimit = gatewayFor({
    routes: [
      { name: "orders", path: "/orders" },
      { name: "json-key", path: "/json-key", key: { source: "body:/k" } },
    ],
  });

  it.each([
    ["keyed by header: the fingerprint cannot be taken", "/orders", true],
    ["keyed by a body field: the field cannot be read", "/json-key", false],
  ])("%s: 400 invalid-body, never forwarded", async (_name, path, headerKey) => {
    const tag = newTag();
    const pairs: [string, string][] = headerKey ? [["idempotency-key", `deep-${tag}`]] : [];
    const response = await sendWithDefaultLimit(withHeaders(path, tag, pairs, nested(400_000)));
    await expectRefused(response, invalidBody);
    expect(await originLog(tag)).toHaveLength(0);
  });
});

describe("the deployed Worker entry point never throws on bad input", () => {
  // wrangler.toml's own config (routes /orders and /orders/:id), through exports.default.fetch.
  const cases = [...KEYS.filter((c) => "type" in c.expected && c.expected.type === "invalid-key"), ...PATHS];
  it.each(cases)("$name", async ({ request, expected }) => {
    const response = await exports.default.fetch(request(newTag(), `entry-${newTag()}`));
    await expectRefused(response, expected);
  });
});

describe("accepted at the edge of the rules", () => {
  it.each([
    ["a 255-character key", "k".repeat(255)],
    ["an sf-string with an escaped quote", '"a\\"b"'],
    ["an sf-string with an escaped backslash", '"a\\\\b"'],
    ["a bare key of every visible ASCII punctuation but quote, backslash and comma", "!#$%&'()*+-./:;<=>?@[]^_`{|}~"],
    ["an sf-string holding a comma", '"c1,c2"'],
  ])("%s: executes once, then replays", async (_name, rawKey) => {
    const tag = newTag();
    const first = await send(withHeaders("/orders", tag, [["idempotency-key", rawKey]]));
    expect(first.status).toBe(201);
    const retry = await send(withHeaders("/orders", tag, [["idempotency-key", rawKey]]));
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("a form key sent twice with the same value is one key", async () => {
    const tag = newTag();
    const body = `requestKey=dup-${tag}&requestKey=dup-${tag}`;
    expect((await send(formKeyed(body)(tag))).status).toBe(200);
    expect((await send(formKeyed(body)(tag))).headers.get("idempotent-replayed")).toBe("true");
    expect(await originLog(tag)).toHaveLength(1);
  });

  it.each([
    ["a literal dot-segment", "/echo/a/../../orders"],
    ["an encoded dot-segment (%2e%2e)", "/echo/a/%2e%2e/%2E%2E/orders"],
    ["a half-encoded dot-segment (.%2e)", "/echo/a/.%2e/%2e./orders"],
    ["an encoded single dot (%2e)", "/echo/%2e/../orders"],
  ])("%s is resolved by URL parsing before routing, so Idem and the origin see the same path", async (_name, path) => {
    const tag = newTag();
    const response = await send(clientRequest(path, { tag, key: `dot-${tag}`, json: {} }));
    expect(response.status).toBe(201);
    expect((await originLog(tag))[0]?.path).toBe("/orders");
  });

  it("a UTF-8 byte order mark before a JSON body is refused (400): JSON.parse and PHP reject it, other parsers skip it", async () => {
    const tag = newTag();
    const key = `bom-${tag}`;
    const withBom = await send(jsonKeyed(`\uFEFF{"meta":{"idempotencyKey":"${key}"}}`)(tag));
    await expectRefused(withBom, invalidBody);
    const without = await send(jsonKeyFollowUp(tag, key));
    expect(without.headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("a double-encoded dot-segment (%252e%252e) is one ordinary segment, forwarded exactly as sent", async () => {
    // An origin that decodes the path once, as RFC 3986 asks, sees the segment "%2e%2e", not "..".
    const tag = newTag();
    const response = await send(clientRequest("/echo/%252e%252e/admin", { tag, key: `dbl-${tag}`, json: {} }));
    expect(response.status).toBe(200);
    expect((await originLog(tag))[0]?.path).toBe("/echo/%252e%252e/admin");
  });
});

describe("bodies that differ only in framing", () => {
  it("the same bytes with another content type are another request: 422, not a replay", async () => {
    const tag = newTag();
    const key = `ctype-${tag}`;
    const body = '{"item":"lamp"}';
    const first = await send(withHeaders("/orders", tag, [["idempotency-key", key]], body, "text/plain"));
    expect(first.status).toBe(201);
    const asJson = await send(withHeaders("/orders", tag, [["idempotency-key", key]], body, "application/json"));
    await expectRefused(asJson, { status: 422, type: "fingerprint-mismatch" });
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("a repeated JSON member is refused (400): parsers keep the last copy or the first, so it is no one request", async () => {
    const tag = newTag();
    const key = `dupjson-${tag}`;
    await expectRefused(await send(withHeaders("/orders", tag, [["idempotency-key", key]], '{"qty":1,"qty":2}')), invalidBody);
    const same = await send(withHeaders("/orders", tag, [["idempotency-key", key]], '{"qty":2}'));
    expect(same.status).toBe(201);
    expect(same.headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(1);
  });
});

describe("header injection", () => {
  const logged: string[] = [];
  beforeEach(() => {
    logged.length = 0;
    vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(" "));
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("a key or credential that looks like a header is never echoed into a header or a log line", async () => {
    const tag = newTag();
    const key = `x%0d%0aSet-Cookie:evil=1-${tag}`;
    const secret = `Bearer sk_live_${tag}`;
    const attempts = [
      await send(clientRequest("/orders", { tag, key, auth: secret, json: {} })),
      await send(clientRequest("/orders", { tag, key, auth: secret, json: {} })),
      await send(clientRequest("/orders", { tag, key, auth: secret, json: { other: true } })),
      await send(
        withHeaders("/orders", tag, [
          ["idempotency-key", `${key} `],
          ["authorization", secret],
          ["idempotency-key", "x"],
        ]),
      ),
    ];
    expect(attempts.map((r) => r.status)).toEqual([201, 201, 422, 400]);
    for (const response of attempts) {
      expect(response.headers.get("set-cookie")).toBeNull();
      for (const [name, value] of response.headers) {
        expect(`${name}: ${value}`).not.toContain(key);
        expect(`${name}: ${value}`).not.toContain("sk_live_");
      }
    }
    expect(logged.length).toBeGreaterThanOrEqual(attempts.length);
    for (const line of logged) {
      expect(line).not.toContain(key);
      expect(line).not.toContain(secret);
      expect(line).not.toContain("sk_live");
    }
  });

  it("Idem's own headers cannot be set by the client, and forwarding headers are Idem's", async () => {
    const tag = newTag();
    const response = await send(
      clientRequest("/orders", {
        tag,
        key: `own-${tag}`,
        json: {},
        headers: { "idempotent-replayed": "true", "idempotency-expires": "never", "x-forwarded-host": "evil.example" },
      }),
    );
    expect(response.status).toBe(201);
    expect(response.headers.get("idempotent-replayed")).toBeNull();
    expect(response.headers.get("idempotency-expires")).not.toBe("never");
    const [seen] = await originLog(tag);
    expect(seen?.headers["x-forwarded-host"]).toBe("idem.test");
  });

  it("a call name echoed into a JSON error template stays one JSON string, placeholders and all", async () => {
    const tag = newTag();
    const hostile = 'x"},"admin":true,"y":{"z":"{{kind}} {{code}}';
    const response = await send(clientRequest("/templated", { tag, json: {}, headers: { "x-call": hostile } }));
    expect(response.status).toBe(400);
    const body = await response.json<{ error: { code: number; kind: string; call: string }; admin?: unknown }>();
    expect(body).toEqual({ error: { code: 400, kind: "key-required", call: hostile } });
    expect(await originLog(tag)).toHaveLength(0);
  });
});
