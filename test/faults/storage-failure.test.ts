/**
 * Issue 5: the KeyObject's storage refuses a write. workerd has no switch for
 * that, so these tests break the object's own storage API from inside the
 * object (`runInDurableObject` hands the test the very `ctx.storage` the
 * KeyObject writes through): the chosen SQL statement, or `setAlarm`, throws
 * the way SQLite does when the disk is full. No production code is changed
 * for this. Whatever fails, the client gets an error and never a replay of a
 * response that was not stored whole.
 */

import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { problemType } from "../../src/errors/problem-docs.ts";
import { eventually } from "../support/eventually.ts";
import { clientRequest, gatewayFor, newTag, originLog } from "../support/gateway.ts";
import { type KeyRecordLocation, locateKeyRecord, readKeyRecord, storedChunks } from "../support/key-records.ts";

const config = {
  originTimeoutMs: 500,
  defaults: { lockTimeoutMs: 1_000 },
  routes: [{ name: "orders", path: "/orders" }],
};
const send = gatewayFor(config);

const DISK_FULL = "SQLITE_FULL: database or disk is full";

type Exec = SqlStorage["exec"];

/** Makes every SQL statement of the key's object that contains `statement` throw, until the returned function is called. */
async function failSql({ stub }: KeyRecordLocation, statement: string): Promise<() => Promise<void>> {
  await runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql;
    const exec: Exec = sql.exec.bind(sql);
    sql.exec = ((query: string, ...bindings: unknown[]) => {
      if (query.includes(statement)) throw new Error(DISK_FULL);
      return exec(query, ...bindings);
    }) as Exec;
  });
  return () =>
    runInDurableObject(stub, (_instance, state) => {
      Reflect.deleteProperty(state.storage.sql, "exec");
    });
}

/** Makes `setAlarm` of the key's object reject, until the returned function is called. */
async function failSetAlarm({ stub }: KeyRecordLocation): Promise<() => Promise<void>> {
  await runInDurableObject(stub, (_instance, state) => {
    state.storage.setAlarm = () => Promise.reject(new Error(DISK_FULL));
  });
  return () =>
    runInDurableObject(stub, (_instance, state) => {
      Reflect.deleteProperty(state.storage, "setAlarm");
    });
}

/** Rows of the record's body beyond its first MiB (the table only exists once such a body was stored). */
function chunkCount({ stub, id }: KeyRecordLocation): Promise<number> {
  return runInDurableObject(stub, (_instance, state) => {
    return storedChunks(state, id);
  });
}

interface Problem {
  type: string;
  detail: string;
  originalStatus?: number;
}

describe("the in-flight record cannot be written", () => {
  it("answers 503 without calling the origin, and the key works once storage recovers", async () => {
    const tag = newTag();
    const key = `insert-${tag}`;
    const location = await locateKeyRecord(config, "orders", key);
    const heal = await failSql(location, "INSERT INTO records_");

    const refused = await send(clientRequest("/orders", { tag, key, json: {} }));
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    const problem = await refused.json<Problem>();
    expect(problem.type).toBe(problemType("coordinator-unavailable"));
    expect(problem.detail).toContain(DISK_FULL);
    expect(await originLog(tag)).toHaveLength(0);

    await heal();
    expect(await readKeyRecord(location)).toBeUndefined();
    const retry = await send(clientRequest("/orders", { tag, key, json: {} }));
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("answers 503 without calling the origin when the expiry alarm cannot be set, and leaves no record behind", async () => {
    const tag = newTag();
    const key = `alarm-${tag}`;
    const location = await locateKeyRecord(config, "orders", key);
    const heal = await failSetAlarm(location);

    const refused = await send(clientRequest("/orders", { tag, key, json: {} }));
    expect(refused.status).toBe(503);
    expect((await refused.json<Problem>()).type).toBe(problemType("coordinator-unavailable"));
    expect(await originLog(tag)).toHaveLength(0);

    await heal();
    // No half-written in-flight record holds the key: the retry runs at once.
    expect(await readKeyRecord(location)).toBeUndefined();
    const retry = await send(clientRequest("/orders", { tag, key, json: {} }));
    expect(retry.status).toBe(201);
    expect(await originLog(tag)).toHaveLength(1);
  });
});

describe("the origin's answer cannot be stored", () => {
  it("tells the client the outcome is unknown (the origin ran it), stores nothing partial, and never runs it again", async () => {
    const tag = newTag();
    const key = `complete-${tag}`;
    const location = await locateKeyRecord(config, "orders", key);
    const heal = await failSql(location, "INSERT INTO chunks_");

    // A body over 1 MiB: its completion writes the record (with the first MiB) and then a chunk, which fails.
    const big = { "demo-bytes": String(1536 * 1024) };
    const failed = await send(clientRequest("/orders", { tag, key, json: { item: "lamp" }, headers: big }));
    expect(failed.status).toBe(502);
    expect(failed.headers.get("idempotent-replayed")).toBeNull();
    const problem = await failed.json<Problem & { failure: string }>();
    expect(problem.type).toBe("urn:idem:problem:outcome-unknown");
    expect(problem.failure).toBe("answer-not-stored");
    expect(problem.originalStatus).toBe(201);
    expect(problem.detail).toContain(DISK_FULL);
    expect(await originLog(tag)).toHaveLength(1);

    await heal();
    // The completion was one transaction: the status update rolled back with the body, nothing partial is kept.
    expect(await readKeyRecord(location)).toMatchObject({
      state: "unknown",
      status: null,
      bodyRetained: false,
      failure: { kind: "answer-not-stored", originStatus: 201 },
    });
    expect(await chunkCount(location)).toBe(0);

    // Retries are told the same; nothing runs again.
    const retry = await send(clientRequest("/orders", { tag, key, json: { item: "lamp" } }));
    expect(retry.status).toBe(502);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("when even the unknown outcome cannot be written: 503, retries meet the lock, then the outcome is unknown to them", async () => {
    const tag = newTag();
    const key = `complete-2-${tag}`;
    const location = await locateKeyRecord(config, "orders", key);
    const heal = await failSql(location, "UPDATE records_");

    const failed = await send(clientRequest("/orders", { tag, key, json: { item: "lamp" } }));
    expect(failed.status).toBe(503);
    const problem = await failed.json<Problem>();
    expect(problem.type).toBe("urn:idem:problem:coordinator-unavailable");
    expect(problem.originalStatus).toBe(201);
    await heal();
    expect(await readKeyRecord(location)).toMatchObject({ state: "in_flight" });

    const retry = await eventually(
      async () => {
        const response = await send(clientRequest("/orders", { tag, key, json: { item: "lamp" } }));
        return response.status === 409 ? undefined : response;
      },
      { limitMs: 15_000, intervalMs: 100 },
    );
    expect(retry.status).toBe(502);
    expect(await retry.json<Problem & { failure: string }>()).toMatchObject({ failure: "object-lost" });
    expect(await originLog(tag)).toHaveLength(1);
  });
});
