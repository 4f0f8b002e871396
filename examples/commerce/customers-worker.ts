/**
 * The commerce example's customers back end: a Worker of its own, which Idem
 * reaches through the CUSTOMERS service binding (no hostname, no network
 * hop). A small customers API with no idempotency of its own, so that what
 * Idem adds is visible. `npm run example -- commerce` runs it beside Idem.
 *
 * | request                                   | answer                                            |
 * |-------------------------------------------|---------------------------------------------------|
 * | `POST /customers` (a JSON object)         | 201, a new customer with a new `id` every time    |
 * | `POST` anything else under `/customers/…`, `/loyalty-accounts…`, `/segments…` | 200, what was done, numbered |
 * | `GET …/__demo/requests` (any prefix)      | the requests received so far, in order            |
 *
 * Through Idem, the log is `GET /customers/__demo/requests`: the example's
 * catch-all route passes it to this Worker.
 */

interface Received {
  seq: number;
  method: string;
  path: string;
  body: string;
}

// One isolate serves the whole run (wrangler dev runs one instance), so the log is module state.
const received: Received[] = [];

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

async function serve(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname.endsWith("/__demo/requests")) return json(received);
  const entry: Received = { seq: received.length + 1, method: request.method, path: `${url.pathname}${url.search}`, body: await request.text() };
  received.push(entry);
  if (request.method === "POST" && url.pathname === "/customers") {
    let fields: unknown;
    try {
      fields = JSON.parse(entry.body);
    } catch {
      fields = undefined;
    }
    if (fields === null || typeof fields !== "object" || Array.isArray(fields)) return json({ error: "the body must be a JSON object" }, 400);
    return json({ ...fields, id: `cus_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`, createdAt: new Date().toISOString() }, 201);
  }
  return json({ executed: entry.seq, method: entry.method, path: entry.path });
}

export default { fetch: serve } satisfies ExportedHandler;
