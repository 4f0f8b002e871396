import type { Route } from "../model/config.ts";
import { canonicalJson, duplicateMember, isJsonContainer, JsonNumberText, parseExactJson } from "../request/canonical.ts";
import { FieldError } from "../request/field-error.ts";
import { toUrlencoded } from "../request/form-pairs.ts";
import type { RequestFields } from "../request/request-fields.ts";

/**
 * One call of a bulk request, written as the single request it stands for:
 * the bulk request's other parameters, then the call's own (they win), with
 * its name as Erply's `request` parameter, as a form body. A call therefore
 * meets the routes, keys, dedup rules and records of the same call sent alone.
 */
export interface BatchCallRequest {
  /** The call's name (`requestName`). */
  name: string;
  /** The call's `requestID` as sent (a string or a number), echoed in its answer. */
  id: unknown;
  /** The call as the client wrote it in the batch, to forward it unchanged. */
  raw: Record<string, unknown>;
  url: URL;
  headers: Headers;
  body: Uint8Array;
}

/** A bulk request split: the parameters its calls share, and each call. */
export interface SplitBatch {
  /** The request's parameters besides the batch field: a form's fields, or a JSON object's members. */
  shared: [name: string, value: string][];
  calls: BatchCallRequest[];
}

/** Why a bulk request cannot be split into calls: refused before anything runs. */
export class BatchError extends FieldError {
  readonly kind: "invalid-body" | "batch-too-large";

  // A plain field, not a parameter property: `check-config` runs this file on Node, which only strips types.
  constructor(kind: "invalid-body" | "batch-too-large", message: string) {
    super(message);
    this.kind = kind;
  }
}

const encoder = new TextEncoder();

/** A parameter value as Erply reads it: strings as they are, numbers as written, anything else as JSON. */
function paramText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof JsonNumberText) return value.text;
  return canonicalJson(value);
}

/**
 * Splits a bulk request into its calls, each written as the request it
 * would be on its own. The batch field must hold a JSON array of objects,
 * each naming its `requestName`; a request with more than the route's
 * `maxCalls` is refused whole.
 *
 * @throws BatchError when the batch field is not such an array or holds too many calls; FieldError when a field is ambiguous.
 * @example
 * splitBatch(route, fields).calls // [{ name: "saveSalesDocument", id: 1, url, headers, body: "clientCode=…&request=saveSalesDocument&…" }]
 */
export function splitBatch(route: Route & { batch: NonNullable<Route["batch"]> }, fields: RequestFields): SplitBatch {
  const { field, maxCalls } = route.batch;
  const text = fields.get(field) ?? "";
  let calls: unknown;
  try {
    calls = parseExactJson(text);
  } catch {
    calls = undefined;
  }
  const shape = `${field.text} must hold a JSON array of calls, each an object naming its requestName`;
  if (!Array.isArray(calls)) throw new BatchError("invalid-body", shape);
  const repeated = duplicateMember(text);
  if (repeated !== undefined)
    throw new BatchError(
      "invalid-body",
      `${field.text} holds the member ${JSON.stringify(repeated)} twice in one object, which origins read differently`,
    );
  if (calls.length > maxCalls) {
    throw new BatchError(
      "batch-too-large",
      `${field.text} holds ${calls.length} calls; one request may hold at most ${maxCalls} (route ${route.name}, batch.maxCalls)`,
    );
  }

  // The parameters every call shares: the body's other fields; the query stays in the URL, minus the batch field.
  const body = fields.parsedBody();
  const members = (value: unknown): [string, string][] =>
    isJsonContainer(value) && !Array.isArray(value) ? Object.entries(value).map(([name, member]) => [name, paramText(member)]) : [];
  const sent = body.kind === "form" ? body.pairs.list : body.kind === "json" ? members(body.value) : [];
  const shared = sent.filter(([name]) => name !== field.name && name !== "request").map(([name, value]): [string, string] => [name, value]);
  const url = new URL(fields.url);
  url.searchParams.delete(field.name);
  const headers = new Headers(fields.headers);
  // Each call's body is written here, unencoded, as a form.
  headers.set("content-type", "application/x-www-form-urlencoded");
  headers.delete("content-encoding");
  headers.delete("content-length");

  const split = calls.map((call): BatchCallRequest => {
    if (call === null || typeof call !== "object" || Array.isArray(call) || typeof (call as Record<string, unknown>).requestName !== "string") {
      throw new BatchError("invalid-body", shape);
    }
    const own = call as Record<string, unknown>;
    // A call holding a bulk request of its own would be planned as one: refused, so bulk requests never nest.
    if (Object.hasOwn(own, field.name)) throw new BatchError("invalid-body", `a call in ${field.text} cannot hold ${field.name} of its own`);
    const params = new Map<string, string>(shared.map(([name, value]) => [name, value]));
    for (const [name, value] of Object.entries(own)) {
      if (name !== "requestName" && name !== "requestID" && value !== null && value !== undefined) params.set(name, paramText(value));
    }
    params.set("request", own.requestName as string);
    const id = own.requestID instanceof JsonNumberText ? Number(own.requestID.text) : own.requestID;
    return { name: own.requestName as string, id, raw: own, url, headers, body: encoder.encode(toUrlencoded([...params])) };
  });
  return { shared, calls: split };
}
