import { type DemoServer, type DemoServerOptions, header, logEntry, startDemoServer } from "../../demo/demo-server.ts";
import type { DemoBody } from "../../demo/request-body.ts";
import { phpQuery, readPhpBody } from "./php-request.ts";
import type { ErplyCall } from "./received-call.ts";

export type { ErplyCall };

/**
 * An Erply-like API with no protection of its own, so that what Idem adds is
 * visible: one endpoint (`POST /api/`), the call named by the `request`
 * parameter, parameters in the query string, a form body (urlencoded, or
 * multipart/form-data as PHP's cURL sends an array of fields), a JSON body, or
 * both (the body wins), and every answer in Erply's envelope with HTTP 200.
 * Requests are read the way Erply's PHP back end reads them, media type,
 * field names and all (examples/erply/php-request.ts).
 *
 * A bulk request, as Erply's SDKs send it, names no `request`: its `requests`
 * parameter holds a JSON array of calls, each with `requestName`, an
 * optional `requestID` and its own parameters; the other parameters
 * (`clientCode`, `sessionKey`, …) are shared by every call, a call's own
 * parameters winning. Calls run in order and the answer holds one entry per
 * call: `{"status": …, "requests": [{"status": {"requestName", "requestID",
 * "responseStatus", "errorCode", …}, "records": […]}]}`. Each call is one
 * entry in the log, with `batch` naming its request and place.
 *
 * | call                    | answer                                                          |
 * |-------------------------|-----------------------------------------------------------------|
 * | `saveSalesDocument`     | without `id`: a new `invoiceID` on every execution; with `id`: that document, edited |
 * | `savePayment`           | a new `paymentID` on every execution                           |
 * | `delete…`               | `records: []`                                                   |
 * | any other call          | `records: []`                                                   |
 * | no `request` parameter  | error 1005, as Erply                                            |
 *
 * Line items are read as Erply numbers them: `productID1`, `amount1`, `price1`, `productID2`, …
 *
 * Every request can be steered with headers:
 *
 * | header                 | effect                                                                 |
 * |------------------------|------------------------------------------------------------------------|
 * | `Demo-Delay: 2000`     | wait 2000 ms before answering                                          |
 * | `Demo-Hold: h1`        | wait until `POST /__demo/release?hold=h1` (at once if already released) |
 * | `Demo-Error: 1002`     | answer with this Erply error code and execute nothing                  |
 * | `Demo-Fault: reset`    | execute, then drop the connection without answering                    |
 * | `Demo-Fault: not-json` | execute, then answer with a body that is not JSON                      |
 * | `Demo-Fault: short`    | execute a bulk request, then answer without its last entry             |
 * | `Demo-Tag: t1`         | label the request in the log (tests use one tag each)                  |
 *
 * `GET /__demo/requests?tag=t1` lists the calls received, in arrival order,
 * with `startedAt` (arrival), `endedAt` (answer sent) and `httpRequest` (the
 * number of the request that carried it): enough to check the order and
 * overlap of calls, and how many requests reached the API.
 */

export interface ErplyOrigin extends DemoServer {
  received: ErplyCall[];
  /** Lets the requests held under this name (and later ones) answer. */
  release(hold: string): void;
}

interface Hold {
  released: boolean;
  waiting: (() => void)[];
}

interface SaleRow {
  productID: string;
  amount: number;
  price: number;
}

/** An object's scalar members as Erply parameters (JSON numbers and booleans as text). */
function scalarsOf(value: unknown): Record<string, string> {
  const params: Record<string, string> = {};
  if (value === null || typeof value !== "object" || Array.isArray(value)) return params;
  for (const [name, member] of Object.entries(value)) {
    if (["string", "number", "boolean"].includes(typeof member)) params[name] = String(member);
  }
  return params;
}

/** Query parameters, overridden by the body's (form fields, or a JSON object's scalar members). */
function paramsOf(url: URL, body: DemoBody): Record<string, string> {
  const params = phpQuery(url);
  if (body.kind === "json") return { ...params, ...scalarsOf(body.value) };
  if (body.kind === "form") return { ...params, ...Object.fromEntries(body.fields) };
  return params;
}

interface BulkCall {
  requestName: string;
  /** Echoed as sent (a string or a number). */
  requestID?: unknown;
  params: Record<string, string>;
}

/** The calls of a bulk request, each with the shared parameters under its own; undefined when `requests` is no array of calls. */
function bulkCallsOf(params: Record<string, string>): BulkCall[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(params.requests ?? "");
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const { requests: _, request: __, ...shared } = params;
  const calls: BulkCall[] = [];
  for (const item of parsed) {
    const own = scalarsOf(item);
    if (own.requestName === undefined) return undefined;
    const requestID = (item as Record<string, unknown>).requestID;
    calls.push({ requestName: own.requestName, requestID, params: { ...shared, ...own, request: own.requestName } });
  }
  return calls;
}

/** Erply's numbered line items: productID1, amount1, price1, productID2, … */
function rowsOf(params: Record<string, string>): SaleRow[] {
  const rows: SaleRow[] = [];
  for (let n = 1; params[`productID${n}`] !== undefined; n++) {
    rows.push({ productID: params[`productID${n}`] as string, amount: Number(params[`amount${n}`] ?? 1), price: Number(params[`price${n}`] ?? 0) });
  }
  return rows;
}

function statusOf(startedAt: number, records: unknown[] | null, errorCode: number) {
  return {
    requestUnixTime: Math.floor(startedAt / 1000),
    responseStatus: errorCode === 0 ? "ok" : "error",
    errorCode,
    generationTime: (Date.now() - startedAt) / 1000,
    recordsTotal: records?.length ?? 0,
    recordsInResponse: records?.length ?? 0,
  };
}

function envelope(call: string, startedAt: number, records: unknown[] | null, errorCode = 0): unknown {
  return { status: { request: call, ...statusOf(startedAt, records, errorCode) }, records };
}

/** One call's entry in a bulk answer: its name and requestID echoed in its status. */
function bulkEntry(call: BulkCall, startedAt: number, records: unknown[] | null, errorCode = 0): unknown {
  return { status: { requestName: call.requestName, requestID: call.requestID, ...statusOf(startedAt, records, errorCode) }, records };
}

/**
 * Starts the Erply-like origin.
 *
 * @example
 * const origin = await startErplyOrigin({ port: 8788 });
 * await fetch(`${origin.url}/api/?request=savePayment&clientCode=1&sessionKey=s&sum=5`, { method: "POST" });
 */
export async function startErplyOrigin(options: DemoServerOptions = {}): Promise<ErplyOrigin> {
  const received: ErplyCall[] = [];
  const holds = new Map<string, Hold>();
  let lastId = 1000;
  let requests = 0;

  const holdNamed = (name: string): Hold => {
    let hold = holds.get(name);
    if (!hold) {
      hold = { released: false, waiting: [] };
      holds.set(name, hold);
    }
    return hold;
  };
  const release = (name: string) => {
    const hold = holdNamed(name);
    hold.released = true;
    for (const wake of hold.waiting.splice(0)) wake();
  };

  const execute = (call: string, params: Record<string, string>): unknown[] => {
    if (call === "saveSalesDocument") {
      const rows = rowsOf(params);
      const invoiceID = params.id ? Number(params.id) : ++lastId;
      const total = rows.reduce((sum, row) => sum + row.amount * row.price, 0);
      return [{ invoiceID, invoiceNo: params.invoiceNo ?? String(invoiceID), total, rows }];
    }
    if (call === "savePayment") return [{ paymentID: ++lastId }];
    return [];
  };

  const demo = await startDemoServer(
    received,
    async (req, res, url) => {
      const startedAt = Date.now();
      if (url.pathname === "/__demo/release") {
        release(url.searchParams.get("hold") ?? "");
        res.writeHead(204).end();
        return;
      }
      const read = await readPhpBody(req);
      const params = paramsOf(url, read.body);
      const bulk = params.request === undefined && params.requests !== undefined ? bulkCallsOf(params) : undefined;
      const firstSeq = received.length + 1;
      const httpRequest = ++requests;
      const entries: ErplyCall[] = (bulk ?? [{ requestName: params.request ?? "", params }]).map((call, index) => {
        const entry: ErplyCall = {
          ...logEntry(received, req, url, read.text, startedAt),
          call: call.params.request ?? null,
          params: call.params,
          httpRequest,
        };
        if (bulk) entry.batch = { request: firstSeq, index };
        received.push(entry);
        return entry;
      });

      const delay = Number(header(req, "demo-delay") ?? 0);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      const holdName = header(req, "demo-hold");
      if (holdName !== undefined) {
        const hold = holdNamed(holdName);
        if (!hold.released) await new Promise<void>((resolve) => hold.waiting.push(resolve));
      }

      const forcedError = Number(header(req, "demo-error") ?? 0);
      const answerOne = (call: string, callParams: Record<string, string>) =>
        call === ""
          ? { records: null, errorCode: 1005 }
          : forcedError > 0
            ? { records: null, errorCode: forcedError }
            : { records: execute(call, callParams), errorCode: 0 };
      let body: unknown;
      if (bulk) {
        const requests = bulk.map((call) => {
          const one = answerOne(call.requestName, call.params);
          return bulkEntry(call, startedAt, one.records, one.errorCode);
        });
        body = { status: { request: "", ...statusOf(startedAt, null, 0) }, requests };
      } else if (params.requests !== undefined && params.request === undefined) {
        // `requests` that is not an array of calls, each naming its `requestName`.
        body = envelope("", startedAt, null, 1014);
      } else {
        const call = params.request ?? "";
        const one = answerOne(call, params);
        body = envelope(call, startedAt, one.records, one.errorCode);
      }
      const endedAt = Date.now();
      for (const entry of entries) entry.endedAt = endedAt;
      const fault = header(req, "demo-fault");
      if (fault === "reset") {
        res.destroy();
        return;
      }
      if (fault === "short" && bulk) (body as { requests: unknown[] }).requests.pop();
      res.writeHead(200, { "content-type": fault === "not-json" ? "text/html" : "application/json" });
      res.end(fault === "not-json" ? "<html><body>Bad gateway</body></html>" : JSON.stringify(body));
    },
    options,
  );

  return {
    ...demo,
    received,
    release,
    close: () => {
      // Wakes the held calls, so that none waits forever on a server that is gone.
      for (const name of holds.keys()) release(name);
      return demo.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const origin = await startErplyOrigin({ port: Number(process.env.DEMO_ORIGIN_PORT ?? 8788) });
  console.log(`Erply-like origin listening on ${origin.url} (try: curl -X POST '${origin.url}/api/?request=savePayment&clientCode=1&sessionKey=s')`);
}
