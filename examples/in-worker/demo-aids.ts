/**
 * Demo aids around the orders API, as this repository's other demo origins
 * have them (demo/orders-origin.ts): a log of every request the handlers got,
 * so anyone can count how often `POST /orders` really ran, and headers that
 * make a request slow or lose its answer. Leave this file out of an API you ship.
 *
 * | header            | effect                                                                  |
 * |-------------------|-------------------------------------------------------------------------|
 * | `Demo-Tag: t1`    | label the request in the log                                            |
 * | `Demo-Delay: 800` | run the handler, then wait 800 ms before answering                      |
 * | `Demo-Reset: 1`   | run the handler, then throw: the answer is lost                         |
 * | `Demo-Break: 1`   | run the handler, send its status and half its body, then fail the body  |
 * | `Demo-Hang: 1`    | run the handler, then answer only after 60 s                            |
 *
 * `GET /__demo/requests?tag=t1` lists the requests received with that tag (all
 * of them without one), in the shape of demo/received-request.ts. No Idem route
 * matches it, so Idem passes it through to the handlers like any other read.
 */

/** One request the handlers got. */
interface Received {
  seq: number;
  tag: string | null;
  method: string;
  path: string;
  body: string;
  headers: Record<string, string>;
  startedAt: number;
  endedAt?: number;
}

// Module state: one isolate serves a local run, so the log sees every request.
const received: Received[] = [];

const HANG_MS = 60_000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The first half of a body, then an error in place of the rest. */
function brokenOff(body: ArrayBuffer): ReadableStream<Uint8Array> {
  const half = new Uint8Array(body, 0, Math.floor(body.byteLength / 2));
  return new ReadableStream({
    pull(controller) {
      controller.enqueue(half);
      controller.error(new Error("the body broke off (Demo-Break)"));
    },
  });
}

/**
 * Runs `handle` for the request, logging it and applying its `Demo-*` headers;
 * answers `GET /__demo/requests` itself.
 *
 * @example
 * return withDemoAids(request, () => ordersApi.fetch(request));
 */
export async function withDemoAids(request: Request, handle: () => Promise<Response>): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === "/__demo/requests") {
    const tag = url.searchParams.get("tag");
    return Response.json(received.filter((entry) => tag === null || entry.tag === tag));
  }
  const entry: Received = {
    seq: received.length + 1,
    tag: request.headers.get("demo-tag"),
    method: request.method,
    path: `${url.pathname}${url.search}`,
    body: await request.clone().text(),
    headers: Object.fromEntries(request.headers),
    startedAt: Date.now(),
  };
  received.push(entry);
  const response = await handle();
  const delay = Number(request.headers.get("demo-delay") ?? 0);
  if (delay > 0) await pause(delay);
  if (request.headers.has("demo-hang")) await pause(HANG_MS);
  entry.endedAt = Date.now();
  if (request.headers.has("demo-reset")) throw new Error("the answer was lost (Demo-Reset)");
  if (request.headers.has("demo-break")) {
    return new Response(brokenOff(await response.arrayBuffer()), { status: response.status, headers: response.headers });
  }
  return response;
}
