/**
 * Objects written by earlier versions of Idem keep their records: on first
 * use, a KeyObject runs the migrations from its stored version to the current
 * one (src/objects/record-schema.ts), once. Each test writes a record through
 * today's gateway, copies it in an older layout into an object that has run
 * nothing yet, and sends the request there: the retry replays the first answer byte for byte,
 * and the origin executed once.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { bucketOf, SCHEMA_VERSION } from "../src/objects/record-schema.ts";
import { clientRequest, gatewayFor, newTag, originLog } from "./support/gateway.ts";
import { type KeyRecordLocation, locateKeyRecord, readKeyRecord, storedChunks } from "./support/key-records.ts";

const config = { keyspace: { strategy: "per-key" as const }, routes: [{ name: "orders", path: "/orders" }] };
const send = gatewayFor(config);
const auth = "Bearer migrating-client";
const otherAuth = "Bearer upgraded-client";

/** The layouts before versioning: v1 had the failure column, v0 did not; both kept records in one table with an expiry index. */
const LEGACY_SCHEMA = (withFailure: boolean) => `
CREATE TABLE records (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, route TEXT NOT NULL, fingerprint TEXT NOT NULL, state TEXT NOT NULL,
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, lock_expires_at INTEGER, status INTEGER, headers TEXT,
  body_size INTEGER, body_retained INTEGER NOT NULL DEFAULT 0, body BLOB${withFailure ? ", failure TEXT" : ""}
) WITHOUT ROWID;
CREATE INDEX records_expiry ON records (expires_at);
CREATE TABLE body_chunks (record_id TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (record_id, seq)) WITHOUT ROWID;
`;

/**
 * Writes a record and its body chunks, as `source` holds them, into `target` in a legacy
 * layout, under `targetId`. The target is an object that has run nothing yet, so its
 * first request opens the legacy storage as an upgraded Worker's would.
 */
async function writeLegacy(source: KeyRecordLocation, target: KeyRecordLocation, withFailure: boolean): Promise<void> {
  const { records, chunks } = await runInDurableObject(source.stub, (_instance, state) => {
    const sql = state.storage.sql;
    const tables = sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND (name GLOB 'records_*' OR name GLOB 'chunks_*')")
      .toArray();
    return {
      records: tables.flatMap(({ name }) => (name.startsWith("records_") ? sql.exec(`SELECT * FROM ${name} WHERE id = ?`, source.id).toArray() : [])),
      chunks: tables.flatMap(({ name }) =>
        name.startsWith("chunks_") ? sql.exec(`SELECT * FROM ${name} WHERE record_id = ?`, source.id).toArray() : [],
      ),
    };
  });
  await runInDurableObject(target.stub, (_instance, state) => {
    const sql = state.storage.sql;
    sql.exec(LEGACY_SCHEMA(withFailure));
    for (const row of records) {
      const { failure, ...columns }: Record<string, SqlStorageValue> = { ...row, id: target.id };
      const kept = withFailure ? { ...columns, failure: failure ?? null } : columns;
      sql.exec(
        `INSERT INTO records (${Object.keys(kept).join(", ")}) VALUES (${Object.keys(kept)
          .map(() => "?")
          .join(", ")})`,
        ...Object.values(kept),
      );
    }
    for (const row of chunks) sql.exec("INSERT INTO body_chunks (record_id, seq, data) VALUES (?, ?, ?)", target.id, row.seq, row.data);
  });
}

describe("storage written by earlier versions", () => {
  it.each([
    ["v1 (one table, expiry index, failure column)", true],
    ["v0 (before the failure column)", false],
  ])("%s: migrated on first use, a large completed answer replays byte for byte, the origin ran once", async (_layout, withFailure) => {
    const tag = newTag();
    const key = `migrate-${tag}`;
    // Above one chunk: its body has rows in the chunk table too.
    const first = await send(clientRequest("/orders", { tag, key, auth, json: { item: "lamp" }, headers: { "demo-bytes": String(1536 * 1024) } }));
    const firstBody = await first.text();
    const written = await locateKeyRecord(config, "orders", key, auth);
    // The same request from another caller has its own record, in its own object: written there the old way.
    const legacy = await locateKeyRecord(config, "orders", key, otherAuth);
    await writeLegacy(written, legacy, withFailure);

    const retry = await send(clientRequest("/orders", { tag, key, auth: otherAuth, json: { item: "lamp" } }));
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.text()).toBe(firstBody);
    expect(await originLog(tag)).toHaveLength(1);

    const after = await runInDurableObject(legacy.stub, (_instance, state) => ({
      tables: state.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT GLOB '_cf_*' ORDER BY name")
        .toArray()
        .map((row) => row.name),
      version: state.storage.sql.exec<{ version: number }>("SELECT version FROM idem_schema").one().version,
      chunks: storedChunks(state, legacy.id),
    }));
    const original = await readKeyRecord(written);
    const bucket = bucketOf(original?.expiresAt ?? 0);
    expect(after).toEqual({ tables: [`chunks_${bucket}`, "idem_schema", `records_${bucket}`], version: SCHEMA_VERSION, chunks: 1 });
    expect(await readKeyRecord(legacy)).toEqual({ ...original, id: legacy.id });
  });

  it("refuses storage of a newer version than the code, rather than misread it", async () => {
    const tag = newTag();
    const key = `newer-${tag}`;
    const location = await locateKeyRecord(config, "orders", key, auth);
    await runInDurableObject(location.stub, (_instance, state) => {
      state.storage.sql.exec(`CREATE TABLE idem_schema (version INTEGER NOT NULL); INSERT INTO idem_schema VALUES (${SCHEMA_VERSION + 1})`);
    });
    const refused = await send(clientRequest("/orders", { tag, key, auth, json: {} }));
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ type: "urn:idem:problem:coordinator-unavailable" });
    expect(await originLog(tag)).toHaveLength(0);
  });
});
