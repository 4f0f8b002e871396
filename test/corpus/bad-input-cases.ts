/**
 * The bad-input corpus: hostile and malformed requests, one table row each,
 * with the config they are sent against. `bad-input.test.ts` checks each
 * row's answer; `explain-agreement.test.ts` checks that explaining a row
 * predicts what the gateway does with it.
 */
import { TEST_CALLER } from "../support/caller.ts";
import { clientRequest } from "../support/gateway.ts";

export const MAX_BODY = 4_096;

export const config = {
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
export type Expected = { status: number; type: string } | { erplyCode: number };

export interface Case {
  name: string;
  /** The hostile request; `key` is a fresh valid key, for rows whose fault is elsewhere. */
  request: (tag: string, key: string) => Request;
  expected: Expected;
  /** A valid request with the same key: it must run as new. */
  followUp?: (tag: string, key: string) => Request;
}

/** A POST from TEST_CALLER whose headers are given as pairs, so one name can repeat. */
export function withHeaders(path: string, tag: string, pairs: [string, string][], body?: string, contentType = "application/json"): Request {
  const headers = new Headers({ "demo-tag": tag, "content-type": contentType });
  for (const [name, value] of pairs) headers.append(name, value);
  if (!headers.has("authorization")) headers.set("authorization", TEST_CALLER);
  return new Request(`https://idem.test${path}`, { method: "POST", headers, body: body ?? "{}" });
}

const keyed = (rawKey: string) => (tag: string) => withHeaders("/orders", tag, [["idempotency-key", rawKey]]);
const orderFollowUp = (tag: string, key: string) => clientRequest("/orders", { tag, key, json: {} });
const invalidKey = { status: 400, type: "invalid-key" };
export const invalidBody = { status: 400, type: "invalid-body" };
const ambiguousPath = { status: 400, type: "ambiguous-path" };

/** A POST to the route whose key is in a JSON body; `KEY` in the body stands for the row's fresh key. */
export const jsonKeyed =
  (body: string, contentType = "application/json") =>
  (tag: string, key = "k") =>
    withHeaders("/json-key", tag, [], body.replaceAll("KEY", key), contentType);
export const jsonKeyFollowUp = (tag: string, key: string) => withHeaders("/json-key", tag, [], JSON.stringify({ meta: { idempotencyKey: key } }));
/** A POST to the route whose key is a form field; `KEY` in the body stands for the row's fresh key. */
export const formKeyed =
  (body: string, contentType = "application/x-www-form-urlencoded") =>
  (tag: string, key = "k") =>
    withHeaders("/form-key", tag, [], body.replaceAll("KEY", key), contentType);
const formKeyFollowUp = (tag: string, key: string) => formKeyed(`requestKey=${key}`)(tag);
const echo = (path: string) => (tag: string, key: string) => clientRequest(path, { tag, key, json: {} });
export const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

export const KEYS: Case[] = [
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

export const BODIES: Case[] = [
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
    name: "JSON sent as text/plain: a body the route does not read, refused rather than forwarded unguarded",
    request: jsonKeyed('{"meta":{"idempotencyKey":"KEY"}}', "text/plain"),
    expected: { status: 415, type: "unsupported-media-type" },
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
export const PATHS: Case[] = [
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
