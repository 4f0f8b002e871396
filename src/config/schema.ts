import * as v from "valibot";
import {
  anonymousSchema,
  batchFormatSchema,
  concurrencySchema,
  ERROR_KINDS,
  errorFormatSchema,
  forwardedValueSchema,
  jurisdictionSchema,
  keyspaceStrategySchema,
  locationHintSchema,
  modeSchema,
  parsingSchema,
  unknownOutcomeSchema,
} from "../model/enumerations.ts";
import { DEFAULTS } from "./defaults.ts";
import { originChoice, originSchema, originsSchema } from "./origin-schema.ts";

/**
 * The shape of an Idem config as a user writes it (in `wrangler.toml` under
 * `[vars.IDEM_CONFIG]`, or as a JSON string in that var). Every optional field
 * has a default that is applied by `resolveConfig`; docs/configuration.md documents each one.
 *
 * Strict objects are used throughout so that a misspelt field is reported by
 * name instead of being silently ignored.
 */

const MAX_BODY_CAP = 25 * 1024 * 1024; // Durable Object RPC messages are limited to 32 MiB.
const DAY_SECONDS = 86_400;

/** `header:Name`, `query:name`, `body:name` or `body:/json/pointer`, `path:param`, `param:name` (body, then query). */
export const FIELD_REF_PATTERN = /^(header|query|body|path|param):\S.*$/;

const fieldRef = v.pipe(
  v.string(),
  v.regex(FIELD_REF_PATTERN, 'must look like "header:Name", "query:name", "body:name", "body:/json/pointer", "path:name" or "param:name"'),
);

const positiveMs = (max: number) => v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(max));

const statusCode = v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(599));
/** A status (`429`) or an inclusive range (`"400-599"`). */
const statusSelector = v.union([
  statusCode,
  v.pipe(v.string(), v.regex(/^[1-5]\d\d-[1-5]\d\d$/, 'must be a status like 429 or a range like "400-599"')),
]);

const httpMethod = v.pipe(v.string(), v.toUpperCase(), v.picklist(["GET", "HEAD", "OPTIONS", "DELETE", "POST", "PUT", "PATCH"]));

const conditionValue = v.union([v.string(), v.pipe(v.array(v.string()), v.minLength(1))]);
/** Field ref → required value (or any of several values). */
const conditions = v.record(fieldRef, conditionValue);

const errorKindOverride = v.strictObject({
  status: v.optional(statusCode),
  code: v.optional(v.union([v.string(), v.number()])),
  message: v.optional(v.pipe(v.string(), v.minLength(1))),
});

const errorProfile = v.strictObject({
  format: v.optional(errorFormatSchema),
  /** For `format: "json"`: a JSON template whose string leaves may hold {{kind}}, {{status}}, {{code}}, {{message}}, {{call}}, {{now}}. */
  template: v.optional(v.unknown()),
  /** For `format: "json"` and `"erply"`: the HTTP status every error answers with (Erply answers 200). */
  status: v.optional(statusCode),
  /** For `format: "erply"`: the field holding the call name (default `param:request`). */
  callField: v.optional(fieldRef),
  kinds: v.optional(v.strictObject(Object.fromEntries(ERROR_KINDS.map((k) => [k, v.optional(errorKindOverride)])))),
});

const keyPolicy = v.strictObject({
  /**
   * Where the key comes from. Default `header:Idempotency-Key` (parsed as an sf-string or bare token).
   * A list builds the key from several request fields (e.g. zip code and house number): the request has a
   * key only when every one of them is present and non-empty.
   */
  source: v.optional(v.union([fieldRef, v.pipe(v.array(fieldRef), v.minLength(1), v.maxLength(8))])),
  required: v.optional(v.boolean()),
  /** Extra syntax the key must match, e.g. Erply's `^[A-Za-z0-9.-]{1,128}$`. */
  pattern: v.optional(
    v.pipe(
      v.string(),
      v.check((p) => {
        try {
          new RegExp(p);
          return true;
        } catch {
          return false;
        }
      }, "must be a valid regular expression"),
    ),
  ),
  maxLength: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(255))),
});

const documentGuard = v.strictObject({
  /** The field that carries the document ID, e.g. `param:id`. Requests without it are not serialized. */
  id: fieldRef,
  /** Routes with the same group share document locks (e.g. save and delete of one sales document). Default: the route name. */
  group: v.optional(v.pipe(v.string(), v.minLength(1))),
  /** This route deletes the document: a second delete while one is in flight is rejected at once. */
  delete: v.optional(v.boolean()),
  /** Request parts that say whose document it is (e.g. the account). Default: the route's scope. */
  scope: v.optional(v.array(fieldRef)),
  editTimeoutMs: v.optional(positiveMs(300_000)),
});

const lineItems = v.strictObject({
  /**
   * One field per part of a line, each with one `{n}` (or `{i}`) standing for the line number:
   * `param:productID{n}` for Erply's `productID1, productID2…`, `body:/rows/{i}/productID` for a JSON array.
   * Every line number present counts. Lines are compared as a multiset: order does not matter, quantities do.
   */
  fields: v.pipe(
    v.array(
      v.pipe(
        fieldRef,
        v.check((ref) => (ref.match(/\{[ni]\}/g) ?? []).length === 1, "must contain exactly one {n} or {i} standing for the line number"),
      ),
    ),
    v.minLength(1),
  ),
});

const comparedField = v.union([
  fieldRef,
  v.strictObject({
    field: fieldRef,
    /** Compare only when supplied (non-empty). */
    ifPresent: v.optional(v.boolean()),
    /** Compare only when all of these conditions hold. */
    when: v.optional(conditions),
  }),
]);

/** Conditions on the origin's answer: its headers or its JSON body. */
const responseConditions = v.record(
  v.pipe(v.string(), v.regex(/^(header|body):\S.*$/, 'must look like "header:Name", "body:name" or "body:/json/pointer" (a part of the response)')),
  conditionValue,
);

const dedupRule = v.strictObject({
  name: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1-64 letters, digits, '_', '.' or '-'")),
  /** Conditions on the request for the rule to apply. */
  when: v.optional(conditions),
  /** The API clients this rule covers; needs `clientField` on the route. */
  clients: v.optional(v.pipe(v.array(v.string()), v.minLength(1))),
  /** The API clients this rule never covers (so a client-specific variant can take them). */
  exceptClients: v.optional(v.pipe(v.array(v.string()), v.minLength(1))),
  /** Fields that must all be present and not blank, or there is no duplicate check at all. */
  prerequisites: v.pipe(v.array(fieldRef), v.minLength(1)),
  compare: v.pipe(v.array(comparedField), v.minLength(1)),
  items: v.optional(lineItems),
  /** How long a first document counts. Default 24 h. */
  windowSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(30 * DAY_SECONDS))),
  /** Answers never stored as the original. Default `["400-599"]`. */
  neverStoreStatuses: v.optional(v.array(statusSelector)),
  /** Conditions the origin's answer must meet to be stored as the original. Default: the route's `successWhen`. */
  successWhen: v.optional(responseConditions),
});

const routePolicyFields = {
  /** Methods that take part. Default POST and PATCH. */
  methods: v.optional(v.pipe(v.array(httpMethod), v.minLength(1))),
  key: v.optional(keyPolicy),
  mode: v.optional(modeSchema),
  /** Request parts whose values, hashed together, identify the caller. Default `["header:Authorization"]`. */
  scope: v.optional(v.array(fieldRef)),
  /**
   * The scope fields that carry the caller's credential (default: every field of `scope`). A request whose
   * values for all of them are absent, empty or placeholders (`Bearer`, `Bearer null`, `undefined`) is
   * anonymous. Name only these when other scope fields say on whose behalf a call is made (an account code,
   * `Stripe-Account`), which anyone could send.
   */
  identifiedBy: v.optional(v.pipe(v.array(fieldRef), v.minLength(1))),
  /**
   * What a request with a key gets when it is anonymous (see `identifiedBy`: a caller Idem cannot tell
   * apart from others): `"refuse"` (default) answers 400 `caller-unidentified` (and a dedup rule does no
   * check); `"share"` puts every such caller in one shared scope, where they see each other's records.
   */
  anonymous: v.optional(anonymousSchema),
  ttlSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(30 * DAY_SECONDS))),
  concurrency: v.optional(concurrencySchema),
  waitTimeoutMs: v.optional(positiveMs(300_000)),
  lockTimeoutMs: v.optional(positiveMs(3_600_000)),
  /** Request headers that count in the fingerprint besides Content-Type. */
  fingerprintHeaders: v.optional(v.array(v.pipe(v.string(), v.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be a header name")))),
  /** Statuses that are never stored, so the key is released. Default 408, 409, 425, 429. */
  neverStoreStatuses: v.optional(v.array(statusSelector)),
  /**
   * Conditions on the origin's answer (its headers or JSON body) for it to be stored and replayed, e.g. Erply's
   * `{"body:/status/responseStatus": "ok"}`: Erply answers errors with HTTP 200. Default: every answer whose status
   * is not in `neverStoreStatuses`.
   */
  successWhen: v.optional(responseConditions),
  maxStoredResponseBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(64 * 1024 * 1024))),
  /**
   * A request whose outcome is unknown (the origin may have acted, but its answer was lost: a timeout, a reset, a
   * broken body, an object lost mid-request). `remember` (default): retries with its key get `outcome-unknown` and
   * the origin is not called again. `release`: the key is released and a retry runs the request again; only for
   * origins that deduplicate it themselves (see `forwardKey`).
   */
  onUnknownOutcome: v.optional(unknownOutcomeSchema),
  /**
   * Sends the request's key to the origin in this header, so an origin with idempotency of its own can tell a
   * re-run from a new request: `key` is the key as the client sent it, `record` Idem's record ID (a hash that is
   * also unique per route and caller scope, and exists for dedup-covered requests too).
   */
  forwardKey: v.optional(
    v.strictObject({
      header: v.pipe(v.string(), v.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be a header name")),
      value: v.optional(forwardedValueSchema, DEFAULTS.forwardKeyValue),
    }),
  ),
  /** Field carrying the API client's name, for dedup rules with `clients`. */
  clientField: v.optional(fieldRef),
  errors: v.optional(errorProfile),
  /** Which of the named `origins` the route's requests go to. Default: the top-level `origin`. */
  origin: v.optional(originChoice),
  /**
   * How the route reads a request's media type and fields, to read them as its origin does: `strict` (default) by
   * the declared media type; `php` as PHP does (the media type cut at the first `;`, `,` or space; field names with
   * leading spaces dropped, spaces and dots as `_`, a repeated name's last value). docs/request-bodies.md.
   */
  parsing: v.optional(parsingSchema),
};

const route = v.strictObject({
  name: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1-64 letters, digits, '_', '.' or '-'")),
  /** itty-router style pattern: `/orders`, `/orders/:id`, `/api/*`. */
  path: v.pipe(v.string(), v.startsWith("/", "must start with /")),
  when: v.optional(conditions),
  document: v.optional(documentGuard),
  dedup: v.optional(v.array(dedupRule)),
  /**
   * This route takes bulk requests: `field` holds a JSON array of calls (Erply's `requests`, each with
   * `requestName`, `requestID` and its own parameters). Each call is matched against the routes and guarded
   * as if sent alone, with the request's other parameters; the route's own key and dedup settings are not used.
   */
  batch: v.optional(
    v.strictObject({
      field: fieldRef,
      format: batchFormatSchema,
      /** The most calls one request may hold; a request with more is refused whole (400 `batch-too-large`). Default 100, Erply's limit. */
      maxCalls: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000))),
    }),
  ),
  ...routePolicyFields,
});

export const configSchema = v.strictObject({
  /** The JSON Schema an editor validates a JSON config file against; Idem ignores it. */
  $schema: v.optional(v.string()),
  /** The API Idem fronts (base URL, template or service binding); requests keep their path and query. Routes without `origin` go here. */
  origin: originSchema,
  /** More back ends, by name, for routes that choose one (`origin = "payments"`). */
  origins: v.optional(originsSchema),
  /** Where error answers' `Link: rel="describedby"` points (a base URL; the problem type's name is appended). Default: the gateway's own pages. */
  problemDocsUrl: v.optional(
    v.pipe(
      v.string(),
      v.url("must be an absolute URL"),
      v.check((u) => /^https?:/i.test(u), "must be http:// or https://"),
    ),
  ),
  originTimeoutMs: v.optional(positiveMs(600_000)),
  maxRequestBodyBytes: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_BODY_CAP))),
  /**
   * How route matching reads a request path, to mirror the origin's router: `caseInsensitive` (`/Orders`
   * is `/orders`), `mergeSlashes` (`//orders` is `/orders`), `stripParams` (`/orders;x=1` is `/orders`).
   * Each is off by default; percent-escapes of unreserved characters (`/%6frders`) are always decoded.
   */
  pathMatching: v.optional(
    v.strictObject({
      caseInsensitive: v.optional(v.boolean()),
      mergeSlashes: v.optional(v.boolean()),
      stripParams: v.optional(v.boolean()),
    }),
  ),
  keyspace: v.optional(
    v.strictObject({
      strategy: keyspaceStrategySchema,
      shards: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(4096))),
    }),
  ),
  placement: v.optional(
    v.strictObject({
      /** Where new objects are created (`wnam`, `weur`, …): near the origin, or near most clients. */
      locationHint: v.optional(locationHintSchema),
      /** Keep every record inside a jurisdiction: `eu` for data that must stay in the EU. */
      jurisdiction: v.optional(jurisdictionSchema),
    }),
  ),
  admin: v.optional(
    v.strictObject({
      /** Where the admin API answers (default `/__idem`). Requests under it never reach the origin. */
      pathPrefix: v.pipe(
        v.string(),
        v.regex(/^\/[A-Za-z0-9_.~-]+(\/[A-Za-z0-9_.~-]+)*$/, 'must be a path like "/__idem"'),
        v.check((p) => !p.split("/").some((segment) => segment === "." || segment === ".."), "must not contain . or .. segments"),
      ),
    }),
  ),
  decisionLog: v.optional(
    v.strictObject({
      /**
       * The share of pass-through decisions (a request forwarded with nothing to remember or wait for, and
       * answered) that get a log line, from 0 to 1 (default 1: every one). Every other decision is logged.
       */
      passThroughRate: v.pipe(v.number(), v.minValue(0), v.maxValue(1)),
    }),
  ),
  defaults: v.optional(v.strictObject(routePolicyFields)),
  routes: v.array(route),
});

export type ConfigInput = v.InferInput<typeof configSchema>;
export type ParsedConfig = v.InferOutput<typeof configSchema>;
export type ParsedRoute = v.InferOutput<typeof route>;
export type ParsedDedupRule = v.InferOutput<typeof dedupRule>;
export type ParsedErrorProfile = v.InferOutput<typeof errorProfile>;
