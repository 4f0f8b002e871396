/**
 * Issue 5, absurd config values: each one stops the Worker at start-up with a
 * ConfigError that names the field, never a Worker that starts and misbehaves.
 */
import { describe, expect, it } from "vitest";
import { problemsOf } from "../support/config-problems.ts";

const ORIGIN = "https://api.example.com";
const route = { name: "orders", path: "/orders" };
const withRoute = (extra: Record<string, unknown>) => ({ origin: ORIGIN, routes: [{ ...route, ...extra }] });
const withTop = (extra: Record<string, unknown>) => ({ origin: ORIGIN, routes: [route], ...extra });

/** [what, raw config, the field the message must start with] */
const ABSURD: [string, unknown, string][] = [
  ["negative origin timeout", withTop({ originTimeoutMs: -1 }), "originTimeoutMs"],
  ["zero origin timeout", withTop({ originTimeoutMs: 0 }), "originTimeoutMs"],
  ["fractional origin timeout", withTop({ originTimeoutMs: 1.5 }), "originTimeoutMs"],
  ["origin timeout of 30 years", withTop({ originTimeoutMs: 1e12 }), "originTimeoutMs"],
  ["infinite origin timeout (TOML inf)", withTop({ originTimeoutMs: Number.POSITIVE_INFINITY }), "originTimeoutMs"],
  ["origin timeout as a string", withTop({ originTimeoutMs: "30000" }), "originTimeoutMs"],
  ["zero body limit", withTop({ maxRequestBodyBytes: 0 }), "maxRequestBodyBytes"],
  ["1 TB body limit", withTop({ maxRequestBodyBytes: 1e12 }), "maxRequestBodyBytes"],
  ["misspelt top-level field", withTop({ orgin: ORIGIN }), "orgin"],
  ["misspelt route field", withRoute({ ttl: 60 }), 'routes["orders"].ttl'],
  ["misspelt nested field", withRoute({ key: { requird: true } }), 'routes["orders"].key.requird'],
  ["origin that is not a URL", { origin: "api.example.com", routes: [route] }, "origin"],
  ["origin over FTP", { origin: "ftp://api.example.com", routes: [route] }, "origin"],
  ["origin with a query", { origin: `${ORIGIN}/?tenant=1`, routes: [route] }, "origin"],
  ["origin with a fragment", { origin: `${ORIGIN}/#x`, routes: [route] }, "origin"],
  ["empty origin", { origin: "", routes: [route] }, "origin"],
  ["routes missing", { origin: ORIGIN }, "routes"],
  ["routes not a list", { origin: ORIGIN, routes: { orders: route } }, "routes"],
  ["duplicate route names", { origin: ORIGIN, routes: [route, { ...route, path: "/other" }] }, "routes[1].name"],
  ["route name with a space", withRoute({ name: "my orders" }), "routes[0].name"],
  ["route path without a leading slash", withRoute({ path: "orders" }), 'routes["orders"].path'],
  ["route on the admin prefix", withRoute({ path: "/__idem/keys" }), 'routes["orders"].path'],
  ["unknown method", withRoute({ methods: ["BREW"] }), 'routes["orders"].methods[0]'],
  ["no methods", withRoute({ methods: [] }), 'routes["orders"].methods'],
  ["key pattern that is not a regex", withRoute({ key: { pattern: "(" } }), 'routes["orders"].key.pattern'],
  ["key max length 0", withRoute({ key: { maxLength: 0 } }), 'routes["orders"].key.maxLength'],
  ["key max length past the spec's 255", withRoute({ key: { maxLength: 256 } }), 'routes["orders"].key.maxLength'],
  ["key source that is not a field", withRoute({ key: { source: "Idempotency-Key" } }), 'routes["orders"].key.source'],
  ["scope from a source Idem does not read", withRoute({ scope: ["session:abc"] }), 'routes["orders"].scope[0]'],
  ["path field the pattern lacks", withRoute({ when: { "path:id": "1" } }), 'routes["orders"].when'],
  ["TTL of zero", withRoute({ ttlSeconds: 0 }), 'routes["orders"].ttlSeconds'],
  ["TTL of a year", withRoute({ ttlSeconds: 365 * 86_400 }), 'routes["orders"].ttlSeconds'],
  ["negative wait timeout", withRoute({ waitTimeoutMs: -5 }), 'routes["orders"].waitTimeoutMs'],
  ["lock shorter than the origin timeout", withRoute({ lockTimeoutMs: 1_000 }), 'routes["orders"].lockTimeoutMs'],
  ["status 99 never stored", withRoute({ neverStoreStatuses: [99] }), 'routes["orders"].neverStoreStatuses[0]'],
  ["status range 600-700", withRoute({ neverStoreStatuses: ["600-700"] }), 'routes["orders"].neverStoreStatuses[0]'],
  ["open status range", withRoute({ neverStoreStatuses: ["500-"] }), 'routes["orders"].neverStoreStatuses[0]'],
  ["stored response cap of 0", withRoute({ maxStoredResponseBytes: 0 }), 'routes["orders"].maxStoredResponseBytes'],
  ["fingerprint header with a space", withRoute({ fingerprintHeaders: ["X Tenant"] }), 'routes["orders"].fingerprintHeaders[0]'],
  ["unknown concurrency mode", withRoute({ concurrency: "parallel" }), 'routes["orders"].concurrency'],
  ["JSON error format without a template", withRoute({ errors: { format: "json" } }), 'routes["orders"].errors.template'],
  ["override for an unknown error kind", withRoute({ errors: { kinds: { teapot: { status: 418 } } } }), 'routes["orders"].errors.kinds.teapot'],
  ["error status 700", withRoute({ errors: { kinds: { "invalid-key": { status: 700 } } } }), 'routes["orders"].errors.kinds.invalid-key.status'],
  [
    "dedup rule for clients without a client field",
    withRoute({ dedup: [{ name: "r", clients: ["pos"], prerequisites: ["body:a"], compare: ["body:a"] }] }),
    'routes["orders"].dedup["r"].clients',
  ],
  [
    "dedup rule comparing nothing",
    withRoute({ dedup: [{ name: "r", prerequisites: ["body:a"], compare: [] }] }),
    'routes["orders"].dedup["r"].compare',
  ],
  ["zero shards", withTop({ keyspace: { strategy: "sharded", shards: 0 } }), "keyspace.shards"],
  ["5,000 shards", withTop({ keyspace: { strategy: "sharded", shards: 5_000 } }), "keyspace.shards"],
  ["unknown keyspace strategy", withTop({ keyspace: { strategy: "random" } }), "keyspace.strategy"],
  ["unknown jurisdiction", withTop({ placement: { jurisdiction: "mars" } }), "placement.jurisdiction"],
  ["admin prefix without a slash", withTop({ admin: { pathPrefix: "admin" } }), "admin.pathPrefix"],
  ["admin prefix climbing out with ..", withTop({ admin: { pathPrefix: "/../admin" } }), "admin.pathPrefix"],
  ["config that is not JSON", "{origin:", "IDEM_CONFIG"],
  ["config that is a number", 42, "(config)"],
  ["config that is a list", [], "origin"],
  ["config not set", undefined, "IDEM_CONFIG"],
];

describe("absurd config values stop the Worker at start-up, naming the field", () => {
  it.each(ABSURD)("%s", (_what, raw, field) => {
    const problems = problemsOf(raw);
    expect(
      problems.some((p) => p.startsWith(`${field}:`)),
      problems.join("\n"),
    ).toBe(true);
  });

  it("tells a missing field from a misspelt one", () => {
    expect(problemsOf({ routes: [] })).toEqual(["origin: is required"]);
    expect(problemsOf({ origin: ORIGIN, routes: [{ name: "x" }] })).toEqual(['routes["x"].path: is required']);
    expect(problemsOf(withTop({ orgin: ORIGIN }))).toEqual(['orgin: unknown field; did you mean "origin"?']);
  });
});
