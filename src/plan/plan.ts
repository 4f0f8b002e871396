import type { DedupRule, IdemConfig, RecordPolicy, Route } from "../model/config.ts";
import type { ErrorKind } from "../model/enumerations.ts";
import type { OriginTarget } from "../origin/origins.ts";
import { BodyTooLargeError } from "../request/body.ts";
import { FieldError } from "../request/field-error.ts";
import { RequestFields, UnsupportedBodyError } from "../request/request-fields.ts";
import { errorMessage } from "../util/error-message.ts";
import { type BatchCallRequest, BatchError, type SplitBatch, splitBatch } from "./batch.ts";
import { requestFingerprint } from "./fingerprint.ts";
import { keyObjectName } from "./identity.ts";
import { chooseOrigin, originNeedsBody } from "./origin-choice.ts";
import { isAmbiguousPath } from "./path-guard.ts";
import { type DocumentTarget, identifyRequest } from "./request-identity.ts";
import { candidateParsings, candidatesReadBody, type RouteCandidate, type RouteTable, selectRoute } from "./route-table.ts";

export type { DocumentTarget };

/**
 * Methods Idem never sends on, whatever the routes say: TRACE and TRACK echo
 * the request back, headers Idem adds included (an origin's credential), and
 * CONNECT asks for a tunnel. Answered 405 `method-not-allowed`.
 */
const REFUSED_METHODS: ReadonlySet<string> = new Set(["TRACE", "TRACK", "CONNECT"]);

/** A request as planning sees it: its head, and a way to read its body when a route needs it. */
export interface PlanInput {
  method: string;
  url: URL;
  headers: Headers;
  /**
   * Reads the whole body, refusing it past `limit` bytes. Called at most once,
   * and only when a route needs the body to decide.
   *
   * @throws BodyTooLargeError past `limit`; anything else when the body cannot be read.
   */
  readBody(limit: number): Promise<Uint8Array>;
}

/** Where a record lives: its ID and the KeyObject that holds it. */
export interface RecordLocation {
  recordId: string;
  /** The KeyObject's name (`idFromName`). */
  keyObject: string;
}

/** A request with a record: where it lives, whose it is, what a retry must match, and how the record behaves. */
interface Recorded extends RecordLocation {
  /** The caller's scope hash. */
  scope: string;
  /** The request's fingerprint (keys), or the hash of what the dedup rule compares. */
  fingerprint: string;
  policy: RecordPolicy;
}

/** What every plan for a matched route knows. */
interface Matched {
  candidates: RouteCandidate[];
  route: Route;
  /** The request's fields, seen through the route's path parameters. */
  fields: RequestFields;
  /** The body, when planning had to read it; otherwise it is still unread in the client's request. */
  body?: Uint8Array;
  /** Where the request goes (`chooseOrigin`). */
  target: OriginTarget;
}

/**
 * What Idem does with one request, decided before anything runs:
 *
 * - `refused`: Idem answers with an error itself (ambiguous path, body too large or unreadable, bad or missing key,
 *   fields that name no allowed origin);
 * - `pass-through`: no route takes it; it goes to the origin untouched (`body` is set when planning read it);
 * - `keyed`: it carries a key; the first request with it runs, retries replay;
 * - `deduplicated`: no key, but a dedup rule covers it; a copy within the window replays;
 * - `guarded`: a route takes it and it names a document: it waits its document's turn, nothing is remembered;
 * - `forward`: a route takes it, but there is nothing to remember or wait for;
 * - `batch`: a bulk request; each of its calls has its own plan.
 */
export type RequestPlan =
  | { type: "refused"; candidates: RouteCandidate[]; route?: Route; call?: string; kind: ErrorKind; detail: string; field?: string }
  | { type: "pass-through"; candidates: RouteCandidate[]; body?: Uint8Array; target: OriginTarget }
  | (Matched & Recorded & { type: "keyed"; key: string; document?: DocumentTarget })
  | (Matched & Recorded & { type: "deduplicated"; rule: DedupRule })
  | (Matched & { type: "guarded"; document: DocumentTarget })
  | (Matched & { type: "forward" })
  | (Matched & { type: "batch"; shared: [name: string, value: string][]; calls: BatchCall[] });

/** One call of a bulk request, and its own plan as if it had been sent alone. */
export interface BatchCall {
  request: BatchCallRequest;
  plan: RequestPlan;
}

/**
 * The API call a request names, for error envelopes that echo it (Erply's
 * `request`): read only when Idem answers with an error, since reading it
 * parses the query or the body, which a request that goes through never needs.
 *
 * @example
 * callName(route, fields) // "saveSalesDocument"
 */
export function callName(route: Route, fields: RequestFields): string | undefined {
  try {
    return fields.get(route.errors.callField);
  } catch {
    return undefined;
  }
}

/** Plans each call of a bulk request as the request it would be on its own. */
async function planBatch(
  config: IdemConfig,
  table: RouteTable,
  method: string,
  url: URL,
  candidates: RouteCandidate[],
  route: Route & { batch: NonNullable<Route["batch"]> },
  fields: RequestFields,
  body: Uint8Array | undefined,
): Promise<RequestPlan> {
  let split: SplitBatch;
  try {
    split = splitBatch(route, fields);
  } catch (error) {
    if (!(error instanceof BatchError)) throw error;
    return { type: "refused", candidates, route, kind: error.kind, detail: error.message };
  }
  // The bulk request itself goes to the route's origin (each call's own plan says where it would go alone).
  const target = chooseOrigin(config, route, fields, url);
  if ("refused" in target) return { type: "refused", candidates, route, kind: "origin-not-allowed", detail: target.detail, field: target.field };
  const calls: BatchCall[] = [];
  for (const request of split.calls) {
    const input: PlanInput = { method, url: request.url, headers: request.headers, readBody: () => Promise.resolve(request.body) };
    calls.push({ request, plan: await planRequest(config, table, input) });
  }
  return { type: "batch", candidates, route, fields, body, target, shared: split.shared, calls };
}

async function planMatched(
  config: IdemConfig,
  table: RouteTable,
  method: string,
  url: URL,
  candidates: RouteCandidate[],
  route: Route,
  fields: RequestFields,
  body: Uint8Array | undefined,
): Promise<RequestPlan> {
  if (route.batch) return planBatch(config, table, method, url, candidates, { ...route, batch: route.batch }, fields, body);
  const identity = await identifyRequest(route, fields);
  if (identity.type === "invalid") {
    return { type: "refused", candidates, route, call: callName(route, fields), kind: identity.kind, detail: identity.detail, field: identity.field };
  }
  const target = chooseOrigin(config, route, fields, url);
  if ("refused" in target)
    return {
      type: "refused",
      candidates,
      route,
      call: callName(route, fields),
      kind: "origin-not-allowed",
      detail: target.detail,
      field: target.field,
    };
  const matched = { candidates, route, fields, body, target };
  const recorded = (scope: string, recordId: string, fingerprint: string, policy: RecordPolicy): Recorded => ({
    scope,
    recordId,
    keyObject: keyObjectName(recordId, config.keyspace),
    fingerprint,
    policy,
  });
  switch (identity.type) {
    case "key": {
      const fingerprint = await requestFingerprint(method, fields, route.fingerprintHeaders, config.pathMatching);
      return {
        ...matched,
        ...recorded(identity.scope, identity.recordId, fingerprint, route.record),
        type: "keyed",
        key: identity.key,
        document: identity.document,
      };
    }
    case "dedup": {
      const { scope, recordId, contentHash, rule } = identity;
      return { ...matched, ...recorded(scope, recordId, contentHash, rule.record), type: "deduplicated", rule };
    }
    case "unrecorded":
      return identity.document ? { ...matched, type: "guarded", document: identity.document } : { ...matched, type: "forward" };
  }
}

/**
 * Plans one request: which route takes it, and whether it is refused, passed
 * through, keyed, deduplicated, guarded by its document, or just forwarded.
 * Nothing is sent anywhere. The gateway executes the plan; `check-config
 * --explain` and the admin API's lookup only print it, so all three agree.
 *
 * @example
 * const plan = await planRequest(config, table, { method: "POST", url, headers, readBody: () => Promise.resolve(bytes) });
 * plan.type === "keyed" && plan.recordId // "5c0e…"
 */
export async function planRequest(config: IdemConfig, table: RouteTable, request: PlanInput): Promise<RequestPlan> {
  if (REFUSED_METHODS.has(request.method.toUpperCase())) {
    return { type: "refused", candidates: [], kind: "method-not-allowed", detail: `${request.method} is answered by the gateway, never sent on` };
  }
  if (isAmbiguousPath(request.url.pathname)) {
    return {
      type: "refused",
      candidates: [],
      kind: "ambiguous-path",
      detail: "the path holds an encoded dot-segment, a backslash or a broken escape",
    };
  }
  const candidates = table.candidates(request.method, request.url);
  // Until a route is chosen, the first candidate's error profile answers.
  let route = candidates[0]?.route;
  let fields: RequestFields | undefined;
  let body: Uint8Array | undefined;
  try {
    if (candidatesReadBody(candidates, request.url, request.headers) || originNeedsBody(config, candidates)) {
      body = await request.readBody(config.maxRequestBodyBytes);
    }
    fields = await RequestFields.read(request.url, request.headers, body ?? new Uint8Array(0), candidateParsings(candidates));
    const selected = selectRoute(candidates, fields);
    if (!selected) {
      const target = chooseOrigin(config, undefined, fields, request.url);
      if ("refused" in target) return { type: "refused", candidates, route, kind: "origin-not-allowed", detail: target.detail, field: target.field };
      return { type: "pass-through", candidates, body, target };
    }
    ({ route, fields } = selected);
    return await planMatched(config, table, request.method, request.url, candidates, selected.route, fields, body);
  } catch (error) {
    let detail: string;
    if (error instanceof UnsupportedBodyError) {
      return {
        type: "refused",
        candidates,
        route,
        call: route && fields && callName(route, fields),
        kind: "unsupported-media-type",
        detail: error.message,
      };
    }
    if (error instanceof FieldError) detail = error.message;
    else if (fields) throw error;
    else if (error instanceof BodyTooLargeError) {
      return { type: "refused", candidates, route, kind: "body-too-large", detail: `${error.message}; the limit is maxRequestBodyBytes` };
    } else detail = `the request body could not be read (${errorMessage(error)})`;
    return { type: "refused", candidates, route, call: route && fields && callName(route, fields), kind: "invalid-body", detail };
  }
}
