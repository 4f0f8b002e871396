/**
 * Issue 5, the bad-input corpus: hostile and malformed requests, one table
 * row each. Every row must get a clear 4xx (a problem, or the route's own
 * error profile), never a thrown Worker or a 5xx; the origin must never see
 * the request; and a later valid request with the same key must run as new,
 * proving nothing was stored under it.
 */
import { exports } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { clientRequest, gatewayFor, newTag, originLog } from "../support/gateway.ts";

const MAX_BODY = 4_096;

const config = {
  maxRequestBodyBytes: MAX_BODY,
  routes: [
    { name: "orders", path: "/orders" },
    { name: "strict", path: "/strict", key: { required: true } },
    { name: "echo", path: "/echo/*", methods: ["POST", "PATCH", "DELETE"] },
    { name: "json-key", path: "/json-key", key: { source: "body:/meta/idempotencyKey", required: true } },
    { name: "form-key", path: "/form-key", key: { source: "body:requestKey", required: true } },
    {
      name: "templated",
      path: "/templated",
      key: { required: true },
      errors: {
        format: "json" as const,
        status: 400,
        callField: "header:X-Call",
        template: { error: { code: "{{code}}", kind: "{{kind}}", call: "{{call}}" } },
      },
    },
    {
      name: "erply",
      path: "/api",
      when: { "param:request": "saveSalesDocument" },
      key: { source: "param:requestKey" },
      errors: { format: "erply" as const },
    },
  ],
};
const send = gatewayFor(config);

type Expected = { status: number; type: string } | { erplyCode: number };

interface Case {
  name: string;
  /** The hostile request; `key` is a fresh valid key, for rows whose fault is elsewhere. */
  request: (tag: string, key: string) => Request;
  expected: Expected;
  /** A valid request with the same key: it must run as new. */
  followUp?: (tag: string, key: string) => Request;
}

/** A POST whose headers are given as pairs, so one name can repeat. */
function withHeaders(path: string, tag: string, pairs: [string, string][], body?: string, contentType = "application/json"): Request {
  const headers = new Headers({ "demo-tag": tag, "content-type": contentType });
  for (const [name, value] of pairs) headers.append(name, value);
  return new Request(`https://idem.test${path}`, { method: "POST", headers, body: body ?? "{}" });
}

const keyed = (rawKey: string) => (tag: string) => withHeaders("/orders", tag, [["idempotency-key", rawKey]]);
const orderFollowUp = (tag: string, key: string) => clientRequest("/orders", { tag, key, json: {} });
const invalidKey = { status: 400, type: "invalid-key" };
const invalidBody = { status: 400, type: "invalid-body" };
const ambiguousPath = { status: 400, type: "ambiguous-path" };

/** A POST to the route whose key is in a JSON body; `KEY` in the body stands for the row's fresh key. */
const jsonKeyed =
  (body: string, contentType = "application/json") =>
  (tag: string, key = "k") =>
    withHeaders("/json-key", tag, [], body.replaceAll("KEY", key), contentType);
const jsonKeyFollowUp = (tag: string, key: string) => withHeaders("/json-key", tag, [], JSON.stringify({ meta: { idempotencyKey: key } }));
/** A POST to the route whose key is a form field; `KEY` in the body stands for the row's fresh key. */
const formKeyed =
  (body: string, contentType = "application/x-www-form-urlencoded") =>
  (tag: string, key = "k") =>
    withHeaders("/form-key", tag, [], body.replaceAll("KEY", key), contentType);
const formKeyFollowUp = (tag: string, key: string) => formKeyed(`requestKey=${key}`)(tag);
const echo = (path: string) => (tag: string, key: string) => clientRequest(path, { tag, key, json: {} });
const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

const KEYS: Case[] = [
  { name: "empty key", request: keyed(""), expected: invalidKey },
  { name: "key of spaces only (trimmed to empty)", request: keyed("   "), expected: invalidKey },
  { name: "empty sf-string", request: keyed('""'), expected: invalidKey },
  { name: "256-character key", request: keyed("k".repeat(256)), expected: invalidKey },
  { name: "258-character sf-string (256 inside)", request: keyed(`"${"k".repeat(256)}"`), expected: invalidKey },
  { name: "tab inside the key", request: keyed("a\tb"), expected: invalidKey },
  { name: "control character \\x01", request: keyed("a\x01b"), expected: invalidKey },
  { name: "DEL character", request: keyed("a\x7fb"), expected: invalidKey },
  { name: "space inside the key", request: keyed("a b"), expected: invalidKey },
  { name: "non-ASCII (Latin-1)", request: keyed("café"), expected: invalidKey },
  { name: "non-ASCII (Cyrillic, sent as UTF-8)", request: keyed("ключ"), expected: invalidKey },
  { name: "non-ASCII inside an sf-string", request: keyed('"café"'), expected: invalidKey },
  { name: "unclosed sf-string", request: keyed('"abc'), expected: invalidKey },
  { name: "quote at the end of a bare key", request: keyed('abc"'), expected: invalidKey },
  { name: "quote inside a bare key", request: keyed('a"b'), expected: invalidKey },
  { name: "text after the closing quote", request: keyed('"a"b"'), expected: invalidKey },
  { name: "sf-string with parameters", request: keyed('"abc";v=1'), expected: invalidKey },
  { name: "escaped closing quote leaves it unclosed", request: keyed('"abc\\"'), expected: invalidKey },
  { name: 'sf-string escape other than \\" or \\\\ (\\n)', request: keyed('"a\\nb"'), expected: invalidKey },
  { name: "sf-string unicode escape (\\u0041)", request: keyed('"\\u0041"'), expected: invalidKey },
  { name: "backslash in a bare key", request: keyed("a\\b"), expected: invalidKey },
  {
    name: "header sent twice, different values",
    request: (tag) =>
      withHeaders("/orders", tag, [
        ["idempotency-key", "k1"],
        ["idempotency-key", "k2"],
      ]),
    expected: invalidKey,
  },
  {
    name: "header sent twice, same value",
    request: (tag, key) =>
      withHeaders("/orders", tag, [
        ["idempotency-key", key],
        ["idempotency-key", key],
      ]),
    expected: invalidKey,
    followUp: orderFollowUp,
  },
  {
    name: "sf-string header sent twice",
    request: (tag, key) =>
      withHeaders("/orders", tag, [
        ["idempotency-key", `"${key}"`],
        ["idempotency-key", `"${key}"`],
      ]),
    expected: invalidKey,
    followUp: orderFollowUp,
  },
  { name: "header values joined without a space (k1,k2)", request: keyed("k1,k2"), expected: invalidKey },
  {
    name: "the same key joined without a space",
    request: (tag, key) => keyed(`${key},${key}`)(tag),
    expected: invalidKey,
    followUp: orderFollowUp,
  },
  {
    name: "key missing on a route that requires one",
    request: (tag) => clientRequest("/strict", { tag, json: {} }),
    expected: { status: 400, type: "key-required" },
  },
];

const BODIES: Case[] = [
  {
    name: "JSON body cut short, key inside it",
    request: jsonKeyed('{"meta":{"idempotencyKey":"KEY"'),
    expected: invalidBody,
    followUp: jsonKeyFollowUp,
  },
  { name: "JSON body that is not JSON", request: jsonKeyed("idempotencyKey=KEY"), expected: invalidBody, followUp: jsonKeyFollowUp },
  {
    name: "JSON body with a trailing comma",
    request: jsonKeyed('{"meta":{"idempotencyKey":"KEY",}}'),
    expected: invalidBody,
    followUp: jsonKeyFollowUp,
  },
  {
    name: "JSON body with single quotes",
    request: jsonKeyed("{'meta':{'idempotencyKey':'KEY'}}"),
    expected: invalidBody,
    followUp: jsonKeyFollowUp,
  },
  { name: "JSON key is an empty string", request: jsonKeyed('{"meta":{"idempotencyKey":""}}'), expected: invalidKey },
  { name: "JSON key of 300 characters", request: jsonKeyed(`{"meta":{"idempotencyKey":"${"k".repeat(300)}"}}`), expected: invalidKey },
  { name: "JSON key with a newline", request: jsonKeyed('{"meta":{"idempotencyKey":"a\\nb"}}'), expected: invalidKey },
  { name: "JSON key with non-ASCII", request: jsonKeyed('{"meta":{"idempotencyKey":"clé"}}'), expected: invalidKey },
  { name: "JSON key is null (missing)", request: jsonKeyed('{"meta":{"idempotencyKey":null}}'), expected: { status: 400, type: "key-required" } },
  { name: "JSON body is an array", request: jsonKeyed("[1,2,3]"), expected: { status: 400, type: "key-required" } },
  {
    name: "JSON sent as text/plain: the key is not read from it",
    request: jsonKeyed('{"meta":{"idempotencyKey":"KEY"}}', "text/plain"),
    expected: { status: 400, type: "key-required" },
    followUp: jsonKeyFollowUp,
  },
  {
    name: "JSON with the key nested 70 levels down",
    request: jsonKeyed(`{"meta":{"idempotencyKey":"KEY"},"deep":${nested(70)}}`),
    expected: invalidBody,
    followUp: jsonKeyFollowUp,
  },
  {
    name: "JSON nested 100 levels (past the 64-level limit)",
    request: (tag, key) => withHeaders("/orders", tag, [["idempotency-key", key]], nested(100)),
    expected: invalidBody,
    followUp: orderFollowUp,
  },
  {
    name: "JSON nested 2,000 levels",
    request: (tag, key) => withHeaders("/orders", tag, [["idempotency-key", key]], nested(2_000)),
    expected: invalidBody,
    followUp: orderFollowUp,
  },
  {
    name: "body over maxRequestBodyBytes",
    request: (tag, key) => withHeaders("/orders", tag, [["idempotency-key", key]], JSON.stringify({ pad: "x".repeat(MAX_BODY) })),
    expected: { status: 413, type: "body-too-large" },
    followUp: orderFollowUp,
  },
  {
    name: "body over the limit on a route that reads no field from it",
    request: (tag, key) => withHeaders("/echo/big", tag, [["idempotency-key", key]], "x".repeat(MAX_BODY * 4), "text/plain"),
    expected: { status: 413, type: "body-too-large" },
  },
  {
    name: "form key sent twice with different values",
    request: formKeyed("requestKey=KEY&requestKey=KEY-2"),
    expected: invalidBody,
    followUp: formKeyFollowUp,
  },
  { name: "form key empty", request: formKeyed("requestKey="), expected: invalidKey },
  { name: "form key with an encoded CR LF", request: formKeyed("requestKey=a%0D%0Ab"), expected: invalidKey },
  { name: "form body sent as JSON", request: formKeyed("requestKey=KEY", "application/json"), expected: invalidBody, followUp: formKeyFollowUp },
  {
    name: "form body labelled multipart/form-data without a boundary: unreadable, so the key cannot be read",
    request: formKeyed("requestKey=KEY", "multipart/form-data"),
    expected: invalidBody,
    followUp: formKeyFollowUp,
  },
  {
    name: "Erply call name sent twice with different values (error profile: erply)",
    request: (tag) =>
      withHeaders("/api", tag, [], "request=saveSalesDocument&request=getSalesDocuments&requestKey=k", "application/x-www-form-urlencoded"),
    // Erply's own code for an unreadable request (src/errors/catalog.ts).
    expected: { erplyCode: 1015 },
  },
  {
    name: "Erply request key of 300 characters (error profile: erply)",
    request: (tag) => withHeaders("/api", tag, [], `request=saveSalesDocument&requestKey=${"k".repeat(300)}`, "application/x-www-form-urlencoded"),
    // Erply's own code for a malformed key (src/errors/catalog.ts).
    expected: { erplyCode: 1014 },
  },
];

// Only what survives URL parsing reaches the guard: "%2e%2e", ".%2e" and "%2e" are dot-segments to the
// WHATWG URL parser and are resolved before routing (see "accepted at the edge of the rules").
const PATHS: Case[] = [
  { name: "encoded slashes around dots (..%2f..%2fadmin)", request: echo("/echo/..%2f..%2fadmin"), expected: ambiguousPath },
  { name: "encoded dot-segment and slash (%2e%2e%2fadmin)", request: echo("/echo/%2e%2e%2fadmin"), expected: ambiguousPath },
  { name: "encoded backslash traversal (%5c..%5c)", request: echo("/echo/x%5c..%5cadmin"), expected: ambiguousPath },
  { name: "encoded NUL", request: echo("/echo/a%00b"), expected: ambiguousPath },
  { name: "encoded CR LF", request: echo("/echo/a%0d%0aSet-Cookie:%20x=y"), expected: ambiguousPath },
  { name: "broken escape (%zz)", request: echo("/echo/%zz"), expected: ambiguousPath },
  { name: "truncated escape (%2)", request: echo("/echo/a%2"), expected: ambiguousPath },
  { name: "overlong UTF-8 dot (%c0%ae%c0%ae)", request: echo("/echo/%c0%ae%c0%ae/admin"), expected: ambiguousPath },
  { name: "dot-segment with a path parameter (..;)", request: echo("/echo/..;/admin"), expected: ambiguousPath },
  { name: "encoded dot-segment with a path parameter (%2e%2e;x)", request: echo("/echo/%2e%2e;x/admin"), expected: ambiguousPath },
  { name: "dot-segment with an encoded semicolon (..%3b)", request: echo("/echo/..%3b/admin"), expected: ambiguousPath },
  { name: "single dot with a path parameter (.;x)", request: echo("/echo/.;x/admin"), expected: ambiguousPath },
];

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
  expect(problem.type).toBe(`https://idem.dev/problems/${expected.type}`);
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

  it("a UTF-8 byte order mark before a JSON body is ignored, as RFC 8259 allows", async () => {
    const tag = newTag();
    const key = `bom-${tag}`;
    const withBom = await send(jsonKeyed(`\uFEFF{"meta":{"idempotencyKey":"${key}"}}`)(tag));
    expect(withBom.status).toBe(200);
    const without = await send(jsonKeyFollowUp(tag, key));
    expect(without.headers.get("idempotent-replayed")).toBe("true");
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

  it("a repeated JSON member counts as JSON.parse reads it: the last one", async () => {
    // Recorded behaviour: {"qty":1,"qty":2} is the request {"qty":2}. An origin whose parser keeps the
    // first member would read it differently; see docs/faults.md.
    const tag = newTag();
    const key = `dupjson-${tag}`;
    await send(withHeaders("/orders", tag, [["idempotency-key", key]], '{"qty":1,"qty":2}'));
    const same = await send(withHeaders("/orders", tag, [["idempotency-key", key]], '{"qty":2}'));
    expect(same.headers.get("idempotent-replayed")).toBe("true");
    const other = await send(withHeaders("/orders", tag, [["idempotency-key", key]], '{"qty":1}'));
    expect(other.status).toBe(422);
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
