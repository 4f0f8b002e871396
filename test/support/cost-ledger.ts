import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { DocumentObject } from "../../src/objects/document-object.ts";
import { KeyObject } from "../../src/objects/key-object.ts";

/**
 * What Cloudflare bills Durable Objects for, counted while some work runs:
 * SQLite rows read and written (the cursors' own `rowsRead`/`rowsWritten`,
 * the billed figures), `setAlarm()` calls (each billed as a row written), and
 * object requests (every RPC call and every alarm run). Duration is not
 * counted: it depends on the origin, not on Idem.
 */
export interface Bill {
  objectRequests: number;
  rowsRead: number;
  rowsWritten: number;
  alarmsSet: number;
}

interface Ledger {
  cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[];
  alarmsSet: number;
  objectRequests: number;
}

let ledger: Ledger | undefined;

/**
 * Wraps the methods an object is called at from outside: each call is one
 * billed request. A bulk request's `reserve`, `complete` and `fail` are left
 * out: the runner calls them on itself for the records of its own shard (no
 * request), and over RPC only for records of other shards, which this file's
 * one-shard configs do not have.
 */
function countCalls(type: { prototype: object }): void {
  const local = new Set(["constructor", "reserve", "complete", "fail"]);
  for (const name of Object.getOwnPropertyNames(type.prototype)) {
    const method = Reflect.get(type.prototype, name) as unknown;
    if (local.has(name) || typeof method !== "function") continue;
    Reflect.set(type.prototype, name, function (this: unknown, ...args: unknown[]) {
      if (ledger) ledger.objectRequests++;
      return (method as (...args: unknown[]) => unknown).apply(this, args);
    });
  }
}

let installed = false;

/** Patches the isolate's storage and object classes once: objects and tests share the isolate in workerd's test runtime. */
async function install(): Promise<void> {
  if (installed) return;
  installed = true;
  await runInDurableObject(env.KEYS.get(env.KEYS.idFromName("cost-ledger")), (_instance, state) => {
    const sqlPrototype = Object.getPrototypeOf(state.storage.sql) as SqlStorage;
    const exec = sqlPrototype.exec;
    sqlPrototype.exec = function (this: SqlStorage, query: string, ...bindings: unknown[]) {
      const cursor = exec.call(this, query, ...bindings);
      ledger?.cursors.push(cursor);
      return cursor;
    } as SqlStorage["exec"];
    const storagePrototype = Object.getPrototypeOf(state.storage) as DurableObjectStorage;
    const setAlarm = storagePrototype.setAlarm;
    storagePrototype.setAlarm = function (this: DurableObjectStorage, ...args: Parameters<DurableObjectStorage["setAlarm"]>) {
      if (ledger) ledger.alarmsSet++;
      return setAlarm.apply(this, args);
    };
  });
  countCalls(KeyObject);
  countCalls(DocumentObject);
}

/**
 * Runs `work` and returns what the objects it reached were billed for.
 *
 * @example
 * const { bill } = await measure(() => send(clientRequest("/orders", { tag, key: "k", json: {} })));
 * expect(bill.rowsWritten).toBe(2);
 */
export async function measure<T>(work: () => Promise<T>): Promise<{ result: T; bill: Bill }> {
  await install();
  const current: Ledger = { cursors: [], alarmsSet: 0, objectRequests: 0 };
  ledger = current;
  try {
    const result = await work();
    return {
      result,
      bill: {
        objectRequests: current.objectRequests,
        rowsRead: current.cursors.reduce((sum, cursor) => sum + cursor.rowsRead, 0),
        rowsWritten: current.cursors.reduce((sum, cursor) => sum + cursor.rowsWritten, 0),
        alarmsSet: current.alarmsSet,
      },
    };
  } finally {
    ledger = undefined;
  }
}
