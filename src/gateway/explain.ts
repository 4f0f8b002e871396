import type { IdemConfig } from "../config/resolve.ts";
import { TooDeepError } from "../request/canonical.ts";
import { conditionsHold } from "../request/conditions.ts";
import { FieldError, RequestFields } from "../request/request-fields.ts";
import { keyObjectName } from "./identity.ts";
import { isAmbiguousPath } from "./path-guard.ts";
import { identifyRequest } from "./request-identity.ts";
import { candidatesReadBody, type RouteTable, selectRoute } from "./route-table.ts";

/** A request to explain: what a client would send. */
export interface SampleRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: Uint8Array;
}

/** A route whose path and method fit the request, and whether its `when` conditions hold. */
export interface ExplainedCandidate {
  route: string;
  path: string;
  conditions: "hold" | "fail" | "unreadable";
}

/** The object that holds a record, and where the record's document waits its turn. */
export interface RecordLocation {
  recordId: string;
  /** The KeyObject's name (`idFromName`). */
  keyObject: string;
}

/**
 * What Idem would do with the request:
 *
 * - `refused`: Idem answers with an error itself (ambiguous path, body too large or unreadable, bad or missing key);
 * - `pass-through`: no route takes it; it is streamed to the origin untouched;
 * - `key`: it carries a key; the first request with it runs, retries replay;
 * - `dedup`: no key, but a dedup rule covers it; a duplicate within the window replays;
 * - `forward`: a route takes it, but there is nothing to remember (it may wait for its document's turn).
 */
export type ExplainedOutcome =
  | { type: "refused"; route?: string; kind: string; detail: string }
  | { type: "pass-through" }
  | ({ type: "key"; route: string; key: string; scope: string; documentId?: string } & RecordLocation)
  | ({ type: "dedup"; route: string; rule: string; windowMs: number; scope: string } & RecordLocation)
  | { type: "forward"; route: string; scope: string; documentId?: string };

export interface Explanation {
  candidates: ExplainedCandidate[];
  outcome: ExplainedOutcome;
}

function conditionsOf(candidateFields: RequestFields, when: Parameters<typeof conditionsHold>[0]): ExplainedCandidate["conditions"] {
  try {
    return conditionsHold(when, candidateFields) ? "hold" : "fail";
  } catch (error) {
    if (error instanceof FieldError || error instanceof TooDeepError) return "unreadable";
    throw error;
  }
}

/**
 * Explains which route and rule a request would hit, and which record it
 * would use, with the very functions the gateway decides with (route table,
 * conditions, key reading, dedup matcher, record IDs). Nothing is sent
 * anywhere. Used by `npm run check-config -- --explain` and the admin API's
 * record lookup.
 *
 * @example
 * const { outcome } = await explainRequest(config, new RouteTable(config.routes, config.pathMatching), sample);
 * outcome.type === "key" && outcome.recordId // "5c0e…"
 */
export async function explainRequest(config: IdemConfig, table: RouteTable, sample: SampleRequest): Promise<Explanation> {
  if (isAmbiguousPath(sample.url.pathname)) {
    return {
      candidates: [],
      outcome: { type: "refused", kind: "ambiguous-path", detail: "the path holds an encoded dot-segment, a backslash or a broken escape" },
    };
  }
  const found = await table.candidates(sample.method, sample.url);
  const readsBody = candidatesReadBody(found, sample.headers);
  const fields = await RequestFields.read(sample.url, sample.headers, readsBody ? sample.body : new Uint8Array(0));
  const candidates = found.map(({ route, params }) => ({
    route: route.name,
    path: route.path,
    conditions: conditionsOf(fields.withPathParams(params), route.when),
  }));
  if (found.length === 0) return { candidates, outcome: { type: "pass-through" } };
  if (readsBody && sample.body.byteLength > config.maxRequestBodyBytes) {
    const detail = `the request body exceeds ${config.maxRequestBodyBytes} bytes; the limit is maxRequestBodyBytes`;
    return { candidates, outcome: { type: "refused", route: found[0]?.route.name, kind: "body-too-large", detail } };
  }

  let routeName: string | undefined;
  try {
    const selected = selectRoute(found, fields);
    if (!selected) return { candidates, outcome: { type: "pass-through" } };
    const { route } = selected;
    routeName = route.name;
    const identity = await identifyRequest(route, selected.fields);
    const documentId = identity.type === "key" || identity.type === "unrecorded" ? identity.document?.id : undefined;
    const locate = (recordId: string): RecordLocation => ({ recordId, keyObject: keyObjectName(recordId, config.keyspace) });
    switch (identity.type) {
      case "invalid":
        return { candidates, outcome: { type: "refused", route: route.name, kind: identity.kind, detail: identity.detail } };
      case "key":
        return {
          candidates,
          outcome: { type: "key", route: route.name, key: identity.key, scope: identity.scope, documentId, ...locate(identity.recordId) },
        };
      case "dedup":
        return {
          candidates,
          outcome: {
            type: "dedup",
            route: route.name,
            rule: identity.rule.name,
            windowMs: identity.rule.windowMs,
            scope: identity.scope,
            ...locate(identity.recordId),
          },
        };
      case "unrecorded":
        return { candidates, outcome: { type: "forward", route: route.name, scope: identity.scope, documentId } };
    }
  } catch (error) {
    if (error instanceof FieldError || error instanceof TooDeepError) {
      return { candidates, outcome: { type: "refused", route: routeName ?? found[0]?.route.name, kind: "invalid-body", detail: error.message } };
    }
    throw error;
  }
}
