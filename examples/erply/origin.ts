import type { IncomingMessage } from "node:http";
import { type DemoServer, type DemoServerOptions, header, logEntry, readBody, startDemoServer } from "../../demo/demo-server.ts";
import type { ErplyCall } from "./received-call.ts";

export type { ErplyCall };

/**
 * An Erply-like API with no protection of its own, so that what Idem adds is
 * visible: one endpoint (`POST /api/`), the call named by the `request`
 * parameter, parameters in the query string, a form body (or a JSON body), or
 * both (the body wins), and every answer in Erply's envelope with HTTP 200.
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
 * | `Demo-Tag: t1`         | label the request in the log (tests use one tag each)                  |
 *
 * `GET /__demo/requests?tag=t1` lists the calls received, in arrival order,
 * with `startedAt` (arrival) and `endedAt` (answer sent): enough to check
 * the order and overlap of calls.
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

/** Query parameters, overridden by the body's (form, or a JSON object's scalar members). */
function paramsOf(url: URL, req: IncomingMessage, bodyText: string): Record<string, string> {
  const params = Object.fromEntries(url.searchParams);
  if (bodyText === "") return params;
  if ((header(req, "content-type") ?? "").includes("json")) {
    const parsed: unknown = JSON.parse(bodyText);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
      for (const [name, value] of Object.entries(parsed)) {
        if (["string", "number", "boolean"].includes(typeof value)) params[name] = String(value);
      }
    }
    return params;
  }
  return { ...params, ...Object.fromEntries(new URLSearchParams(bodyText)) };
}

/** Erply's numbered line items: productID1, amount1, price1, productID2, … */
function rowsOf(params: Record<string, string>): SaleRow[] {
  const rows: SaleRow[] = [];
  for (let n = 1; params[`productID${n}`] !== undefined; n++) {
    rows.push({ productID: params[`productID${n}`] as string, amount: Number(params[`amount${n}`] ?? 1), price: Number(params[`price${n}`] ?? 0) });
  }
  return rows;
}

function envelope(call: string, startedAt: number, records: unknown[] | null, errorCode = 0): unknown {
  return {
    status: {
      request: call,
      requestUnixTime: Math.floor(startedAt / 1000),
      responseStatus: errorCode === 0 ? "ok" : "error",
      errorCode,
      generationTime: (Date.now() - startedAt) / 1000,
      recordsTotal: records?.length ?? 0,
      recordsInResponse: records?.length ?? 0,
    },
    records,
  };
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
      const bodyText = await readBody(req);
      let params: Record<string, string>;
      try {
        params = paramsOf(url, req, bodyText);
      } catch {
        params = Object.fromEntries(url.searchParams);
      }
      const entry: ErplyCall = { ...logEntry(received, req, url, bodyText, startedAt), call: params.request ?? null, params };
      received.push(entry);

      const delay = Number(header(req, "demo-delay") ?? 0);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      const holdName = header(req, "demo-hold");
      if (holdName !== undefined) {
        const hold = holdNamed(holdName);
        if (!hold.released) await new Promise<void>((resolve) => hold.waiting.push(resolve));
      }

      const call = params.request ?? "";
      const forcedError = Number(header(req, "demo-error") ?? 0);
      const body =
        call === ""
          ? envelope(call, startedAt, null, 1005)
          : forcedError > 0
            ? envelope(call, startedAt, null, forcedError)
            : envelope(call, startedAt, execute(call, params));
      entry.endedAt = Date.now();
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
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
