/**
 * The hand-written Workers Idem is measured against, on the same workerd:
 * references (what any Worker costs) and floors (the least each of Idem's
 * paths can cost on this runtime). Each is one ES module, as source text,
 * that bench/workerd.ts runs beside the bundle.
 */

/** A Worker that answers without doing anything: the runtime's own cost of a request. */
export const HELLO_WORLD = `
export default {
  fetch() {
    return new Response("hello");
  },
};
`;

/** A Worker that only forwards each request to the origin: the runtime's cost of putting any Worker in front of it. */
export const BARE_FORWARDER = `
export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.ORIGIN + url.pathname + url.search, request);
  },
};
`;

/**
 * The floors: a Worker that makes one RPC per request to one of 256 SQLite
 * Durable Objects, chosen by the Idempotency-Key (as Idem's sharded keyspace
 * does). MODE picks what the object does:
 *
 * - "replay": reads one row and returns 1 KB (inserting the row the first
 *   time a key is seen, which only the replay workload's pre-warming does):
 *   the least a replay can cost.
 * - "fresh": reads the key's row; when there is none, writes an in-flight
 *   row, makes one fetch() to the origin with the request body, and writes
 *   the answer into the row (two row writes): the least a first execution
 *   can cost. A key it has seen gets its stored answer back.
 *
 * - "replay-identified": the replay floor plus what deciding on a retry
 *   takes under Idem's record identity, before anything is parsed or
 *   answered: the body read, four SHA-256 digests (caller scope, record ID,
 *   body, fingerprint), and the stored fingerprint compared. It shows how
 *   much of the replay's 0.8× target that identity leaves (docs/benchmarks.md,
 *   "Where the targets stand").
 * - "fresh-identified": the fresh floor under that same identity: the row is
 *   found by the record ID and holds the fingerprint, so a first execution
 *   pays the same body read and four digests before its RPC. It does the
 *   same for the fresh key's 0.8× target.
 *
 * None checks a concurrent first request or a TTL, and only the last checks
 * a fingerprint or a scope; that is what makes them floors, not gateways.
 */
export const FLOORS = `
import { DurableObject } from "cloudflare:workers";

const KILOBYTE = "x".repeat(1024);

export class Floor extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, status INTEGER, body TEXT) WITHOUT ROWID");
    this.sql.exec("CREATE TABLE IF NOT EXISTS identified (id TEXT PRIMARY KEY, fingerprint TEXT, body TEXT) WITHOUT ROWID");
  }

  replayIdentified(id, fingerprint) {
    const rows = this.sql.exec("SELECT fingerprint, body FROM identified WHERE id = ?", id).toArray();
    if (rows.length > 0) return rows[0].fingerprint === fingerprint ? rows[0].body : "mismatch";
    this.sql.exec("INSERT INTO identified (id, fingerprint, body) VALUES (?, ?, ?)", id, fingerprint, KILOBYTE);
    return KILOBYTE;
  }

  async freshIdentified(id, fingerprint, origin, body) {
    const rows = this.sql.exec("SELECT fingerprint, body FROM identified WHERE id = ?", id).toArray();
    if (rows.length > 0) return { status: rows[0].fingerprint === fingerprint ? 200 : 422, body: rows[0].body ?? "" };
    this.sql.exec("INSERT INTO identified (id, fingerprint) VALUES (?, ?)", id, fingerprint);
    const response = await fetch(origin, { method: "POST", headers: { "content-type": "application/json" }, body });
    const text = await response.text();
    this.sql.exec("UPDATE identified SET body = ? WHERE id = ?", text, id);
    return { status: response.status, body: text };
  }

  replay(key) {
    const rows = this.sql.exec("SELECT body FROM records WHERE key = ?", key).toArray();
    if (rows.length > 0) return rows[0].body;
    this.sql.exec("INSERT INTO records (key, status, body) VALUES (?, 200, ?)", key, KILOBYTE);
    return KILOBYTE;
  }

  async fresh(key, origin, body) {
    const rows = this.sql.exec("SELECT status, body FROM records WHERE key = ?", key).toArray();
    if (rows.length > 0) return { status: rows[0].status ?? 409, body: rows[0].body ?? "" };
    this.sql.exec("INSERT INTO records (key) VALUES (?)", key);
    const response = await fetch(origin, { method: "POST", headers: { "content-type": "application/json" }, body });
    const text = await response.text();
    this.sql.exec("UPDATE records SET status = ?, body = ? WHERE key = ?", response.status, text, key);
    return { status: response.status, body: text };
  }
}

function shardOf(key) {
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) >>> 0;
  return "shard-" + (hash % 256);
}

const encoder = new TextEncoder();
async function sha256(data) {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)).toHex();
}

async function identified(request, env, key) {
  const url = new URL(request.url);
  const body = new Uint8Array(await request.arrayBuffer());
  const scope = await sha256("scope|" + (request.headers.get("authorization") ?? ""));
  const id = await sha256("key|orders|" + scope + "|" + key);
  const bodyDigest = await sha256(body);
  const fingerprint = await sha256(request.method + "|" + url.pathname + "|" + (request.headers.get("content-type") ?? "") + "|" + bodyDigest);
  const stub = env.FLOOR.get(env.FLOOR.idFromName(shardOf(id)));
  if (env.MODE === "replay-identified") {
    return new Response(await stub.replayIdentified(id, fingerprint), { headers: { "content-type": "text/plain" } });
  }
  const answer = await stub.freshIdentified(id, fingerprint, env.ORIGIN + url.pathname, body);
  return new Response(answer.body, { status: answer.status, headers: { "content-type": "application/json" } });
}

export default {
  async fetch(request, env) {
    const key = request.headers.get("idempotency-key") ?? "";
    if (env.MODE.endsWith("-identified")) return identified(request, env, key);
    const stub = env.FLOOR.get(env.FLOOR.idFromName(shardOf(key)));
    if (env.MODE === "replay") {
      return new Response(await stub.replay(key), { headers: { "content-type": "text/plain" } });
    }
    const url = new URL(request.url);
    const answer = await stub.fresh(key, env.ORIGIN + url.pathname, await request.text());
    return new Response(answer.body, { status: answer.status, headers: { "content-type": "application/json" } });
  },
};
`;
