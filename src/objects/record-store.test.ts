/**
 * RecordStore.replayBody on real Durable Object storage (workerd): a stored
 * answer larger than one chunk is replayed as a stream that reads one chunk
 * row per pull, and breaks off rather than mix two answers.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CHUNK_BYTES, EXPIRY_BUCKET_MS, type IdemRecord } from "./record-schema.ts";
import { RecordStore } from "./record-store.ts";

/** `size` bytes, each its offset's low byte plus `salt`, so a misplaced chunk shows. */
function bytes(size: number, salt = 0): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i + salt) & 0xff);
}

/** Runs `test` on a fresh object's storage, with a completed record `id` holding `body`. */
function withRecord(body: Uint8Array, test: (store: RecordStore, record: IdemRecord) => Promise<void>): Promise<void> {
  const stub = env.KEYS.get(env.KEYS.newUniqueId());
  return runInDurableObject(stub, async (_object, state) => {
    const store = new RecordStore(state.storage);
    const id = "a".repeat(64);
    const now = Date.now();
    const lock = { lockExpiresAt: now + 1_000 };
    store.insertInFlight({ id, kind: "key", route: "orders", fingerprint: "f1", createdAt: now, expiresAt: now + 60_000, ...lock });
    expect(store.complete(id, { status: 201, headers: [], body }, lock)).toBe(true);
    const record = store.get(id);
    if (!record) throw new Error("the record was not stored");
    await test(store, record);
  });
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Reads at least `bytes` from the stream (it hands them on in smaller pieces). */
async function readAtLeast(reader: ReadableStreamDefaultReader<Uint8Array>, bytes: number): Promise<void> {
  for (let read = 0; read < bytes; ) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the stream ended after ${read} bytes`);
    read += value.byteLength;
  }
}

/** Reads the stream to its end. */
async function readRest(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  while (!(await reader.read()).done);
}

describe("replaying a stored body", () => {
  it("hands a body of one chunk or less over as bytes", async () => {
    const body = bytes(CHUNK_BYTES);
    await withRecord(body, async (store, record) => {
      const replayed = store.replayBody(record);
      expect(replayed).toBeInstanceOf(Uint8Array);
      expect(replayed).toEqual(body);
    });
  });

  it("streams a larger body byte for byte", async () => {
    const body = bytes(3 * CHUNK_BYTES + 123, 7);
    await withRecord(body, async (store, record) => {
      const replayed = store.replayBody(record);
      expect(replayed).toBeInstanceOf(ReadableStream);
      expect(await readAll(replayed as ReadableStream<Uint8Array>)).toEqual(body);
    });
  });

  it("reads chunks as the reader goes, not ahead: a record purged meanwhile breaks the stream off", async () => {
    await withRecord(bytes(6 * CHUNK_BYTES), async (store, record) => {
      const reader = (store.replayBody(record) as ReadableStream<Uint8Array>).getReader();
      await readAtLeast(reader, CHUNK_BYTES);
      store.delete(record.id);
      await expect(readRest(reader)).rejects.toThrow("purged or replaced");
    });
  });

  it("never mixes two answers: a record replaced by a new one (same ID, new chunks) breaks the stream off", async () => {
    await withRecord(bytes(6 * CHUNK_BYTES), async (store, record) => {
      const reader = (store.replayBody(record) as ReadableStream<Uint8Array>).getReader();
      await readAtLeast(reader, CHUNK_BYTES);
      store.delete(record.id);
      const later = Date.now() + 1;
      const lock = { lockExpiresAt: later + 1_000 };
      const { id } = record;
      store.insertInFlight({ id, kind: "key", route: "orders", fingerprint: "f1", createdAt: later, expiresAt: later + 60_000, ...lock });
      store.complete(id, { status: 201, headers: [], body: bytes(6 * CHUNK_BYTES, 99) }, lock);
      await expect(readRest(reader)).rejects.toThrow("purged or replaced");
    });
  });
});

describe("RecordStore over many expiry buckets", () => {
  it("finds, lists and replaces records across 26 hourly buckets (more than one compound SELECT takes)", async () => {
    const stub = env.KEYS.get(env.KEYS.newUniqueId());
    await runInDurableObject(stub, (_object, state) => {
      const store = new RecordStore(state.storage);
      const now = Date.now();
      const ids = Array.from({ length: 26 }, (_, hour) => hour.toString(16).padStart(64, "0"));
      ids.forEach((id, hour) => {
        const lock = { lockExpiresAt: now + 1_000 };
        const expiresAt = now + (hour + 1) * EXPIRY_BUCKET_MS;
        store.insertInFlight({ id, kind: "key", route: "orders", fingerprint: `f${hour}`, createdAt: now, expiresAt, ...lock });
        expect(store.complete(id, { status: 201, headers: [], body: bytes(10, hour) }, lock)).toBe(true);
      });
      // A new instance reads the tables afresh (nothing from memory).
      const reopened = new RecordStore(state.storage);
      for (const [hour, id] of ids.entries()) expect(reopened.get(id)).toMatchObject({ fingerprint: `f${hour}`, state: "completed" });
      expect(reopened.get("f".repeat(64))).toBeUndefined();
      const listed = reopened.list({ state: "completed", after: "", limit: 30 }, now).map((record) => record.id);
      expect(listed).toEqual([...ids].sort());
      expect(reopened.list({ state: "completed", after: ids[3] as string, limit: 4 }, now).map((record) => record.id)).toEqual(ids.slice(4, 8));
    });
  });
});
