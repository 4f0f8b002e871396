/**
 * `check-config --explain` and the admin lookup promise to say what the
 * gateway would do with a request. They print the gateway's own plan; this
 * proves the promise holds: for every row of the bad-input corpus, and for
 * requests built from every route of the shipped configs, the explanation
 * names the same route, outcome, record and error as the gateway's decision
 * log line for the same request.
 */

import { env } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";
import type { Route } from "../../src/model/config.ts";
import { type ExplainedOutcome, explainRequest } from "../../src/plan/explain.ts";
import { RouteTable } from "../../src/plan/route-table.ts";
import type { FieldRef } from "../../src/request/field-ref.ts";
import { handlerFor } from "../../src/worker/handler.ts";
import { BODY_ROUTES } from "../support/body-proofs.ts";
import { captureLogs, type LogLine } from "../support/logs.ts";
import { newTag } from "../support/origin-log.ts";
import { BODIES, config as corpusConfig, KEYS, PATHS } from "./bad-input-cases.ts";

/** The outcome types the shipped configs' requests produced: the comparison must have covered each. */
const seen = new Set<ExplainedOutcome["type"]>();

/** What the explanation predicts the decision log line will say. */
function predicted(outcome: ExplainedOutcome): LogLine {
  switch (outcome.type) {
    case "refused":
      return { route: outcome.route ?? null, outcome: "invalid-request", error: outcome.kind };
    case "pass-through":
      return { route: null, outcome: "passed-through" };
    case "key":
      return { route: outcome.route, record: outcome.recordId };
    case "dedup":
      return { route: outcome.route, record: outcome.recordId, rule: outcome.rule };
    case "forward":
      return { route: outcome.route, record: undefined, rule: undefined };
    case "batch":
      // One line for the bulk request; its calls' records are their own.
      return { route: outcome.route, record: undefined, rule: undefined };
  }
}

async function expectAgreement(rawConfig: Record<string, unknown>, request: Request): Promise<ExplainedOutcome> {
  const config = loadConfig({ ...rawConfig, origin: env.ORIGIN_URL });
  const body = new Uint8Array(await request.clone().arrayBuffer());
  const { outcome } = await explainRequest(config, new RouteTable(config.routes, config.pathMatching), {
    method: request.method,
    url: new URL(request.url),
    headers: request.headers,
    body,
  });
  seen.add(outcome.type);
  const logs = captureLogs();
  try {
    await (await handlerFor(config).fetch(request, env)).arrayBuffer();
    // The request's own line; the calls of a bulk request have lines of their own, marked `batch`.
    const line = logs.lines("idem.decision").find((entry) => entry.batch === undefined) ?? {};
    const expected = predicted(outcome);
    // toEqual counts a missing member as undefined, as the log line leaves out what it does not know.
    const actual = Object.fromEntries(Object.keys(expected).map((name) => [name, line[name]]));
    expect(actual).toEqual(expected);
  } finally {
    logs.restore();
  }
  return outcome;
}

describe("explain agrees with the gateway on the bad-input corpus", () => {
  it.each([...KEYS, ...BODIES, ...PATHS])("$name", async ({ request }) => {
    const tag = newTag();
    await expectAgreement(corpusConfig, request(tag, `agree-${tag}`));
  });
});

describe("explain agrees with the gateway on bodies a route reads (one body reader)", () => {
  const gzipped = async (text: string) =>
    new Uint8Array(await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
  const order = (headers: Record<string, string>, body: string | Uint8Array, path = "/orders") =>
    new Request(`https://idem.test${path}`, { method: "POST", headers: { authorization: "Bearer agree", "demo-tag": newTag(), ...headers }, body });
  const cases: [string, () => Promise<Request>, string][] = [
    [
      "JSON without a Content-Type, to a route that deduplicates by a JSON field",
      async () => order({}, new TextEncoder().encode('{"item":"book"}')),
      "unsupported-media-type",
    ],
    ["JSON sent as a form", async () => order({ "content-type": "application/x-www-form-urlencoded" }, '{"item":"book"}'), "unsupported-media-type"],
    ["JSON sent as text/plain", async () => order({ "content-type": "text/plain" }, '{"item":"book"}'), "unsupported-media-type"],
    [
      "gzip-encoded JSON",
      async () => order({ "content-type": "application/json", "content-encoding": "gzip" }, await gzipped('{"item":"book"}')),
      "unsupported-media-type",
    ],
    ["JSON with a member named twice", async () => order({ "content-type": "application/json" }, '{"item":"book","item":"pen"}'), "invalid-body"],
    [
      "JSON with a member named twice, on a keyed route that reads no field",
      async () => order({ "content-type": "application/json", "idempotency-key": newTag() }, '{"a":1,"a":2}', "/raw"),
      "invalid-body",
    ],
    [
      "a body its when condition cannot be read from",
      async () => order({ "content-type": "text/plain" }, '{"kind":"order"}', "/kinds"),
      "unsupported-media-type",
    ],
  ];
  it.each(cases)("%s", async (_name, request, kind) => {
    const sent = await request();
    const outcome = await expectAgreement({ routes: BODY_ROUTES }, sent);
    expect(outcome).toMatchObject({ type: "refused", kind });
    if (!sent.headers.has("content-type")) expect(outcome).toMatchObject({ detail: expect.stringContaining("without a Content-Type") });
  });

  it("reads as PHP does on the Erply config: a form sent as 'application/x-www-form-urlencoded, text/plain' takes its key", async () => {
    const body = new URLSearchParams({ request: "saveSalesDocument", clientCode: "1", sessionKey: "s", temporaryUUID: newTag() }).toString();
    const request = new Request("https://idem.test/api/", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded, text/plain", "demo-tag": newTag() },
      body,
    });
    const outcome = await expectAgreement(env.EXAMPLE_IDEM_CONFIGS.erply as Record<string, unknown>, request);
    expect(outcome).toMatchObject({ type: "key", route: "save-sales-document" });
  });
});

/** A value for a field a route reads: the first value its conditions want, else one made up. */
function valueFor(route: Route, ref: FieldRef, tag: string): string {
  const wanted = route.when.find((c) => c.field.text === ref.text)?.values[0];
  if (wanted !== undefined) return wanted;
  return ref.text.includes("{") ? "1" : `${ref.name.replace(/\W/g, "")}-${tag}`;
}

/** Every request field a route reads, so that a request can carry them all. */
function refsOf(route: Route): FieldRef[] {
  return [
    ...route.when.map((c) => c.field),
    ...route.key.sources,
    ...route.scope,
    ...(route.document ? [route.document.id, ...route.document.scope] : []),
    ...(route.clientField ? [route.clientField] : []),
    ...route.dedup.flatMap((rule) => [...rule.prerequisites, ...rule.compare.map((c) => c.field)]),
  ];
}

/** Requests a client of this route could send: with every field it reads, then without its key, its document, or both. */
function requestsFor(route: Route, tag: string): Request[] {
  const path = route.path.replace(/:(\w+)/g, (_m, name: string) => `${name}-${tag}`).replace(/\*/g, "x");
  const key = route.key.sources.map((ref) => ref.text);
  const document = route.document ? [route.document.id.text] : [];
  const variants = [new Set<string>(), new Set(key), new Set(document), new Set([...key, ...document])];
  return route.methods.flatMap((method) =>
    variants.map((left) => {
      const url = new URL(`https://idem.test${path}`);
      const headers = new Headers({ "demo-tag": tag, "content-type": "application/x-www-form-urlencoded" });
      const form = new URLSearchParams();
      for (const ref of refsOf(route)) {
        if (left.has(ref.text) || ref.text.includes("{")) continue;
        const value = valueFor(route, ref, tag);
        if (ref.source === "header") headers.set(ref.name, value);
        else if (ref.source === "query") url.searchParams.set(ref.name, value);
        else if ((ref.source === "body" || ref.source === "param") && !ref.pointer && !form.has(ref.name)) form.set(ref.name, value);
      }
      const hasBody = method !== "GET" && method !== "HEAD";
      return new Request(url, { method, headers, body: hasBody ? form.toString() : undefined });
    }),
  );
}

describe.each(Object.entries(env.EXAMPLE_IDEM_CONFIGS))("explain agrees with the gateway on the %s config", (_name, rawConfig) => {
  const config = loadConfig({ ...rawConfig, origin: env.ORIGIN_URL });
  it.each(config.routes.map((route) => [route.name, route] as const))("route %s", async (_routeName, route) => {
    for (const request of requestsFor(route, newTag())) await expectAgreement(rawConfig, request);
  });

  it("a path no route takes", async () => {
    await expectAgreement(rawConfig, new Request("https://idem.test/no-route-takes-this", { method: "POST", headers: { "demo-tag": newTag() } }));
  });
});

afterAll(() => {
  expect([...seen].sort()).toEqual(["dedup", "forward", "key", "pass-through", "refused"]);
});
