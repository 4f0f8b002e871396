/**
 * Erply-style calls for tests, usable both inside workerd and from Node: how
 * a POS sends them (query string, form body or JSON), how their answers read,
 * and what the Erply-like origin (examples/erply/origin.ts) saw.
 */
import type { ErplyCall } from "../../examples/erply/received-call.ts";
import { originLogAt, originReceivedAt } from "./origin-log.ts";

export type { ErplyCall };

/** Idem and the Erply-like origin behind it, as a test reaches them: inside workerd or over HTTP. */
export interface ErplyTarget {
  /** Sends a request to Idem. */
  send(request: Request): Promise<Response>;
  /** Idem's base URL (any host inside workerd). */
  base: string;
  originUrl: string;
}

/**
 * Where the parameters travel: Erply's Go SDK uses the query string, other
 * clients a form body; PHP's cURL with an array of fields sends
 * multipart/form-data; `form-windows-1252` is a form whose values are
 * windows-1252 bytes (as an older POS sends them), percent-escaped.
 */
export type Via = "query" | "form" | "json" | "multipart" | "form-windows-1252";

/** Every way of sending parameters, for tests that prove a guard holds whatever the encoding. */
export const EVERY_VIA: readonly Via[] = ["query", "form", "json", "multipart", "form-windows-1252"];

/** A value's windows-1252 bytes, percent-escaped (the characters used in tests are all in Latin-1, which 1252 shares above 0x9F). */
function windows1252Escaped(value: string): string {
  return [...value].map((char) => `%${(char.codePointAt(0) ?? 0).toString(16).padStart(2, "0")}`).join("");
}

export interface CallOptions {
  /** Labels the call in the origin's log; one per test. */
  tag: string;
  via?: Via;
  /** e.g. `Demo-Hold`, `Demo-Delay`, `Demo-Error` for the origin. */
  headers?: Record<string, string>;
}

export interface ErplyStatus {
  request: string;
  requestUnixTime: number;
  responseStatus: "ok" | "error";
  errorCode: number;
  errorField?: string;
  generationTime: number;
  recordsTotal: number;
  recordsInResponse: number;
}

export interface ErplyAnswer {
  httpStatus: number;
  status: ErplyStatus;
  records: Record<string, unknown>[] | null;
}

export interface Account {
  clientCode: string;
  sessionKey: string;
}

/** A fresh account, so tests never share documents or keys. */
export function newAccount(): Account {
  return { clientCode: String(100_000 + Math.floor(Math.random() * 900_000)), sessionKey: crypto.randomUUID() };
}

/** A `POST /api/` call with these parameters, sent the way `options.via` says. */
export function erplyRequest(base: string | URL, params: Record<string, string>, options: CallOptions): Request {
  const url = new URL("/api/", base);
  const headers = new Headers(options.headers);
  headers.set("demo-tag", options.tag);
  let body: string | FormData | undefined;
  switch (options.via ?? "form") {
    case "query":
      for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
      break;
    case "form":
      headers.set("content-type", "application/x-www-form-urlencoded");
      body = new URLSearchParams(params).toString();
      break;
    case "json":
      headers.set("content-type", "application/json");
      body = JSON.stringify(params);
      break;
    case "multipart": {
      // The runtime writes the multipart body and its Content-Type, with a fresh boundary each time, as cURL does.
      const form = new FormData();
      for (const [name, value] of Object.entries(params)) form.append(name, value);
      body = form;
      break;
    }
    case "form-windows-1252":
      headers.set("content-type", "application/x-www-form-urlencoded; charset=windows-1252");
      body = Object.entries(params)
        .map(([name, value]) => `${encodeURIComponent(name)}=${windows1252Escaped(value)}`)
        .join("&");
      break;
  }
  return new Request(url, { method: "POST", headers, body });
}

export async function erplyAnswer(response: Response): Promise<ErplyAnswer> {
  const body = (await response.json()) as Omit<ErplyAnswer, "httpStatus">;
  return { httpStatus: response.status, ...body };
}

/**
 * The ID of the document an answer reports: the `invoiceID` of a saved sale or the `paymentID` of a payment.
 *
 * @example
 * documentId(await erplyAnswer(response)) // 1001
 */
export function documentId(answer: ErplyAnswer): unknown {
  const record = answer.records?.[0];
  return record?.invoiceID ?? record?.paymentID;
}

/**
 * Erply calls through Idem at `target`, and what the Erply-like origin behind it saw.
 *
 * @example
 * const { call, calls, arrived, release } = erplyClient(() => ({ send, base: "https://idem.test", originUrl }));
 * const held = call({ ...newAccount(), request: "savePayment" }, { tag, headers: { "demo-hold": hold } });
 * await arrived(tag, 1);
 * await release(hold);
 * expect(await calls(tag)).toHaveLength(1);
 */
export function erplyClient(target: () => ErplyTarget) {
  return {
    /** Sends a `POST /api/` call with these parameters and reads Erply's answer. */
    call(params: Record<string, string>, options: CallOptions): Promise<ErplyAnswer> {
      const { send, base } = target();
      return send(erplyRequest(base, params, options)).then(erplyAnswer);
    },
    /** The calls the origin received with this tag, in arrival order. */
    calls: (tag: string) => originLogAt<ErplyCall>(target().originUrl, tag),
    /** Waits until the origin has received `count` calls with this tag, and returns them. */
    arrived: (tag: string, count: number) => originReceivedAt<ErplyCall>(target().originUrl, tag, count),
    /** Lets the origin answer the calls sent with `Demo-Hold: <hold>`. */
    async release(hold: string): Promise<void> {
      await fetch(`${target().originUrl}/__demo/release?hold=${hold}`, { method: "POST" });
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Whether each call started only after the one before it had answered. This
 * is causal, not a timing bound: a call forwarded one after another cannot
 * reach the origin before the previous answer was sent.
 */
export function oneAfterAnother(calls: readonly ErplyCall[]): boolean {
  return calls.every((call, i) => {
    const previous = calls[i - 1];
    return previous === undefined || (previous.endedAt !== undefined && call.startedAt >= previous.endedAt);
  });
}

/** One call of a bulk request: its name, its requestID and its own parameters. */
export interface BulkCall {
  requestName: string;
  requestID?: string | number;
  [param: string]: unknown;
}

/** A bulk entry of Erply's answer: the call's status (naming it by requestName and requestID) and its records. */
export interface BulkEntry {
  status: Omit<ErplyStatus, "request"> & { requestName: string; requestID?: string | number };
  records: Record<string, unknown>[] | null;
}

export interface BulkAnswer {
  httpStatus: number;
  status: ErplyStatus;
  requests: BulkEntry[];
}

/**
 * A bulk `POST /api/`, as Erply's SDKs send it: the shared parameters and
 * `requests` (the calls as a JSON array), as a form body or multipart.
 *
 * @example
 * bulkRequest(base, account, [{ requestName: "savePayment", requestID: 1, sum: "5" }], { tag })
 */
export function bulkRequest(
  base: string | URL,
  shared: Readonly<Record<string, string>> | Account,
  calls: readonly BulkCall[],
  options: CallOptions,
): Request {
  return erplyRequest(base, { ...shared, requests: JSON.stringify(calls) }, options);
}

/**
 * Reads a bulk answer: its top-level status and one entry per call.
 *
 * @example
 * const answer = await bulkAnswer(await send(bulkRequest(base, account, calls, { tag })));
 * answer.requests[0]?.status.errorCode // 1206
 */
export async function bulkAnswer(response: Response): Promise<BulkAnswer> {
  const body = (await response.json()) as Omit<BulkAnswer, "httpStatus">;
  return { httpStatus: response.status, ...body };
}
