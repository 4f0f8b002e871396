import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { loadConfig } from "../../src/config/load.ts";
import type { ConfigInput } from "../../src/config/schema.ts";
import type { KeyObject } from "../../src/objects/key-object.ts";
import type { IdemRecord } from "../../src/objects/record-schema.ts";
import { RecordStore } from "../../src/objects/record-store.ts";
import { keyObjectName, keyRecordId, scopeOf } from "../../src/plan/identity.ts";
import { RequestFields } from "../../src/request/request-fields.ts";
import { TEST_CALLER } from "./caller.ts";

/** Where the record of one idempotency key lives: its KeyObject and its row ID. */
export interface KeyRecordLocation {
  stub: DurableObjectStub<KeyObject>;
  id: string;
}

/**
 * Finds the KeyObject and record ID the gateway uses for `key` on `routeName`,
 * computed the way the gateway computes them (hashed scope, hashed key), for
 * requests from `auth` (clientRequest's TEST_CALLER unless given).
 *
 * @example
 * const location = await locateKeyRecord(config, "orders", "k-1", "Bearer alice");
 */
export async function locateKeyRecord(
  config: Omit<ConfigInput, "origin">,
  routeName: string,
  key: string,
  auth: string = TEST_CALLER,
): Promise<KeyRecordLocation> {
  const resolved = loadConfig({ origin: env.ORIGIN_URL, ...config });
  const route = resolved.routes.find((r) => r.name === routeName);
  if (!route) throw new Error(`no route named ${routeName}`);
  const headers = new Headers({ authorization: auth });
  const fields = new RequestFields(new URL("https://idem.test/"), headers, new Uint8Array(0));
  const id = await keyRecordId(route, await scopeOf(route, fields), key);
  const stub = env.KEYS.get(env.KEYS.idFromName(keyObjectName(id, resolved.keyspace)));
  return { stub, id };
}

/**
 * The stored record (undefined when there is none), read from the object's own SQLite storage.
 *
 * @example
 * expect(await readKeyRecord(location)).toMatchObject({ state: "completed", status: 201 });
 */
export function readKeyRecord({ stub, id }: KeyRecordLocation): Promise<IdemRecord | undefined> {
  return runInDurableObject(stub, (_instance, state) => new RecordStore(state.storage).get(id));
}

/**
 * The stored body of a completed record, as text.
 *
 * @example
 * expect(await readStoredBody(location)).toBe(firstBody);
 */
export function readStoredBody({ stub, id }: KeyRecordLocation): Promise<string> {
  return runInDurableObject(stub, (_instance, state) => {
    const store = new RecordStore(state.storage);
    const record = store.get(id);
    return new TextDecoder().decode(record ? store.bodyOf(record) : new Uint8Array(0));
  });
}

/** A record row as stored, read past the RecordStore (tests that look at storage itself). */
export type StoredRow = {
  id: string;
  state: string;
  created_at: number;
  expires_at: number;
};

function tablesLike(state: DurableObjectState, pattern: string): string[] {
  return state.storage.sql
    .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB ?", pattern)
    .toArray()
    .map((row) => row.name);
}

/**
 * Every record row of an object, across its expiry buckets (`records_<bucket>`, docs/storage-schema.md).
 *
 * @example
 * expect(storedRows(state).map((row) => row.state)).toEqual(["completed"]);
 */
export function storedRows(state: DurableObjectState): StoredRow[] {
  return tablesLike(state, "records_[0-9]*").flatMap((table) =>
    state.storage.sql.exec<StoredRow>(`SELECT id, state, created_at, expires_at FROM ${table}`).toArray(),
  );
}

/**
 * How many body chunk rows an object holds, for one record or for all.
 *
 * @example
 * expect(storedChunks(state, id)).toBe(5);
 */
export function storedChunks(state: DurableObjectState, id?: string): number {
  return tablesLike(state, "chunks_[0-9]*").reduce(
    (sum, table) =>
      sum +
      state.storage.sql
        .exec<{ n: number }>(`SELECT count(*) AS n FROM ${table}${id === undefined ? "" : " WHERE record_id = ?"}`, ...(id === undefined ? [] : [id]))
        .one().n,
    0,
  );
}
