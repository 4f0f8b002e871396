import type { HeaderList } from "../http/headers.ts";
import type { RecordKind, RecordListQuery } from "../protocol/messages.ts";
import type { RecordFailure } from "../protocol/snapshots.ts";
import { concatBytes } from "../util/bytes.ts";
import { CompletedRecords } from "./completed-records.ts";
import {
  bucketEnd,
  bucketOf,
  bucketOfTable,
  CHUNK_BYTES,
  chunksTable,
  createChunksTable,
  createRecordsTable,
  type IdemRecord,
  legacyVersion,
  MIGRATIONS,
  recordsTable,
  SCHEMA_VERSION,
  VERSION_TABLE,
} from "./record-schema.ts";

type Row = {
  id: string;
  kind: string;
  route: string;
  fingerprint: string;
  state: string;
  created_at: number;
  expires_at: number;
  lock_expires_at: number | null;
  status: number | null;
  headers: string | null;
  body_size: number | null;
  body_retained: number;
  body: ArrayBuffer | null;
  failure: string | null;
  /** The bucket whose table the row was read from (lookups add it). */
  bucket?: number;
};

function fromRow(row: Row): IdemRecord {
  return {
    id: row.id,
    kind: row.kind as RecordKind,
    route: row.route,
    fingerprint: row.fingerprint,
    state: row.state as IdemRecord["state"],
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lockExpiresAt: row.lock_expires_at,
    status: row.status,
    headers: row.headers ? (JSON.parse(row.headers) as HeaderList) : [],
    bodySize: row.body_size,
    bodyRetained: row.body_retained === 1,
    bodyHead: row.body ? new Uint8Array(row.body) : null,
    failure: row.failure ? (JSON.parse(row.failure) as RecordFailure) : null,
  };
}

export interface NewInFlight {
  id: string;
  kind: RecordKind;
  route: string;
  fingerprint: string;
  createdAt: number;
  expiresAt: number;
  lockExpiresAt: number;
}

/**
 * Which attempt at a request writes: the lock time its in-flight row was
 * written with. A later attempt (begun after this one's lock ran out) writes
 * a later lock time, so an answer or failure that comes back too late never
 * lands on a retry's row.
 */
export interface AttemptLock {
  lockExpiresAt: number;
}

export interface Completion {
  status: number;
  headers: HeaderList;
  /** The body, or null when it was too large to keep. */
  body: Uint8Array | null;
}

/** The most terms workerd accepts in one compound SELECT (measured in workerd 2026-11-17: 5). */
const COMPOUND_SELECT_LIMIT = 5;

/**
 * Buckets in groups that one compound SELECT can union, in their order.
 *
 * @example
 * groupsOf([7, 6, 5, 4, 3, 2]) // [[7, 6, 5, 4, 3], [2]]
 */
function groupsOf(buckets: readonly number[]): number[][] {
  const groups: number[][] = [];
  for (let i = 0; i < buckets.length; i += COMPOUND_SELECT_LIMIT) groups.push(buckets.slice(i, i + COMPOUND_SELECT_LIMIT));
  return groups;
}

/**
 * The records of one KeyObject, over its synchronous SQLite API, in the
 * tables record-schema.ts defines (docs/storage-schema.md). Each method runs
 * without yielding, so a read followed by a write in one event is atomic.
 * Completed records it reads stay in memory for replays (CompletedRecords);
 * every write drops the record from there first.
 *
 * @example
 * const store = new RecordStore(ctx.storage);
 * store.insertInFlight({ id, kind: "key", route: "orders", fingerprint, createdAt, expiresAt, lockExpiresAt });
 */
export class RecordStore {
  /** The buckets that have a table of records, newest first; undefined until read from storage. */
  #buckets: number[] | undefined;
  /** Buckets that have a table of body chunks. */
  #chunkBuckets = new Set<number>();
  /** Whether the version table holds SCHEMA_VERSION (false for an object that has stored nothing yet). */
  #versioned = false;
  /** The lookup statements over every bucket, newest group first; rebuilt when a bucket comes or goes. */
  #lookup: string[] | undefined;
  /** The bucket of each in-flight record this instance wrote, so that finishing it needs no lookup. */
  readonly #inFlight = new Map<string, number>();
  readonly #kept = new CompletedRecords();

  constructor(private readonly storage: DurableObjectStorage) {}

  /** Call after `deleteAll()`: the tables are gone and are read again on next use. */
  forgetSchema(): void {
    this.#kept.clear();
    this.#inFlight.clear();
    this.#buckets = undefined;
    this.#lookup = undefined;
  }

  /**
   * Reads which tables exist, once per instance, and migrates an object
   * written by older code (MIGRATIONS, in one transaction). Writes nothing to
   * an object that has stored nothing: the admin API may ask any object.
   */
  #open(): number[] {
    if (this.#buckets) return this.#buckets;
    const sql = this.storage.sql;
    const tableNames = () =>
      new Set(
        sql
          .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
          .toArray()
          .map((row) => row.name),
      );
    let tables = tableNames();
    const version = tables.has(VERSION_TABLE)
      ? sql.exec<{ version: number }>(`SELECT version FROM ${VERSION_TABLE}`).one().version
      : legacyVersion(sql, tables);
    if (version !== null && version > SCHEMA_VERSION) {
      throw new Error(
        `this object's storage is at schema version ${version}, newer than this code's ${SCHEMA_VERSION}: a rollback must keep the newer code's migrations`,
      );
    }
    if (version !== null && version < SCHEMA_VERSION) {
      this.storage.transactionSync(() => {
        for (const migration of MIGRATIONS) if (migration.to > version) migration.up(sql);
        this.#writeVersion();
      });
      tables = tableNames();
    }
    this.#versioned = version !== null;
    this.#chunkBuckets = new Set([...tables].flatMap((name) => (name.startsWith("chunks_") ? [Number(name.slice("chunks_".length))] : [])));
    this.#buckets = [...tables].flatMap((name) => bucketOfTable(name) ?? []).sort((a, b) => b - a);
    return this.#buckets;
  }

  #writeVersion(): void {
    const sql = this.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (version INTEGER NOT NULL)`);
    sql.exec(`DELETE FROM ${VERSION_TABLE}`);
    sql.exec(`INSERT INTO ${VERSION_TABLE} (version) VALUES (?)`, SCHEMA_VERSION);
    this.#versioned = true;
  }

  /** Makes the bucket's table (and the version row of a new object) exist before a record is written to it. */
  #tableFor(bucket: number): string {
    const buckets = this.#open();
    if (!buckets.includes(bucket)) {
      this.storage.transactionSync(() => {
        if (!this.#versioned) this.#writeVersion();
        this.storage.sql.exec(createRecordsTable(bucket));
      });
      buckets.push(bucket);
      buckets.sort((a, b) => b - a);
      this.#lookup = undefined;
    }
    return recordsTable(bucket);
  }

  /**
   * The statements that find an ID's newest row across every bucket, newest
   * buckets first: later rows of an ID are always in later buckets, so the
   * first statement that finds one has the current row. A statement unions
   * at most COMPOUND_SELECT_LIMIT buckets: workerd refuses more terms in one
   * compound SELECT ("too many terms in compound SELECT", measured: 5), and
   * a 24 h TTL keeps 25 hourly buckets.
   */
  #lookupStatements(buckets: readonly number[]): string[] {
    this.#lookup ??= groupsOf(buckets).map(
      (group) =>
        `${group.map((bucket) => `SELECT *, ${bucket} AS bucket FROM ${recordsTable(bucket)} WHERE id = ?1`).join(" UNION ALL ")} ORDER BY bucket DESC LIMIT 1`,
    );
    return this.#lookup;
  }

  /** The ID's newest row, with the bucket it was read from. */
  #newestRow(id: string): Row | undefined {
    const buckets = this.#open();
    if (buckets.length === 0) return undefined;
    for (const statement of this.#lookupStatements(buckets)) {
      const row = this.storage.sql.exec<Row>(statement, id).toArray()[0];
      if (row) return row;
    }
    return undefined;
  }

  get(id: string): IdemRecord | undefined {
    const kept = this.#kept.get(id);
    if (kept) return kept;
    const row = this.#newestRow(id);
    if (!row) return undefined;
    const record = fromRow(row);
    this.#kept.keep(record, (row.body?.byteLength ?? 0) + (row.headers?.length ?? 0));
    return record;
  }

  /**
   * Records in one state with IDs after `query.after`, in ID order, at most
   * `query.limit`, not expired at `now`, across every bucket; their bodies
   * are not read (`bodyHead` is null). Like `get`, it never creates a table.
   * It walks each bucket's primary key from `after`: rows read are the rows
   * it passes, matching or not (no index on state: that would be one more
   * row written by every request).
   *
   * @example
   * store.list({ state: "unknown", after: "", limit: 100 }, Date.now()) // the first 100 unknown outcomes, by ID
   */
  list(query: RecordListQuery, now: number): IdemRecord[] {
    const buckets = this.#open();
    if (buckets.length === 0) return [];
    const rows = groupsOf(buckets).flatMap((group) =>
      this.storage.sql
        .exec<Row>(
          `${group
            .map(
              (bucket) =>
                `SELECT id, kind, route, fingerprint, state, created_at, expires_at, lock_expires_at, status, headers,
                   body_size, body_retained, NULL AS body, failure
                 FROM ${recordsTable(bucket)} WHERE id > ?1 AND state = ?2 AND expires_at > ?3`,
            )
            .join(" UNION ALL ")} ORDER BY id LIMIT ?4`,
          query.after,
          query.state,
          now,
          query.limit,
        )
        .toArray(),
    );
    return rows
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, query.limit)
      .map(fromRow);
  }

  /** The bucket that holds an ID's current row, if any. */
  #locate(id: string): number | undefined {
    const written = this.#inFlight.get(id);
    if (written !== undefined) return written;
    return this.#newestRow(id)?.bucket;
  }

  /** Writes a new in-flight record: one row, in the bucket of its expiry. */
  insertInFlight(r: NewInFlight): void {
    this.#kept.drop(r.id);
    const bucket = bucketOf(r.expiresAt);
    this.storage.sql.exec(
      `INSERT INTO ${this.#tableFor(bucket)} (id, kind, route, fingerprint, state, created_at, expires_at, lock_expires_at)
       VALUES (?, ?, ?, ?, 'in_flight', ?, ?, ?)`,
      r.id,
      r.kind,
      r.route,
      r.fingerprint,
      r.createdAt,
      r.expiresAt,
      r.lockExpiresAt,
    );
    this.#inFlight.set(r.id, bucket);
  }

  /**
   * Stores the origin's answer for the attempt that wrote the in-flight row
   * (`by`, see AttemptLock), or an answer an operator gives for a record whose
   * outcome was unknown or whose owner died in flight (`"operator"`). Returns
   * false when the row is not the attempt's any more (purged, taken over, or
   * begun again by a retry after its lock ran out). One row, plus a row per
   * chunk of a body above CHUNK_BYTES.
   */
  complete(id: string, c: Completion, by: AttemptLock | "operator"): boolean {
    const bucket = this.#locate(id);
    this.#finished(id);
    if (bucket === undefined) return false;
    const whose = by === "operator" ? "state IN ('in_flight', 'unknown')" : "state = 'in_flight' AND lock_expires_at = ?";
    return this.storage.transactionSync(() => {
      const updated = this.storage.sql.exec(
        `UPDATE ${recordsTable(bucket)} SET state = 'completed', lock_expires_at = NULL, failure = NULL,
           status = ?, headers = ?, body_size = ?, body_retained = ?, body = ?
         WHERE id = ? AND ${whose}`,
        c.status,
        JSON.stringify(c.headers),
        c.body?.byteLength ?? null,
        c.body ? 1 : 0,
        c.body ? c.body.subarray(0, CHUNK_BYTES) : null,
        id,
        ...(by === "operator" ? [] : [by.lockExpiresAt]),
      ).rowsWritten;
      if (updated === 0 || !c.body || c.body.byteLength <= CHUNK_BYTES) return updated > 0;
      this.storage.sql.exec(createChunksTable(bucket));
      for (let seq = 1, offset = CHUNK_BYTES; offset < c.body.byteLength; seq++, offset += CHUNK_BYTES) {
        this.storage.sql.exec(
          `INSERT INTO ${chunksTable(bucket)} (record_id, seq, data) VALUES (?, ?, ?)`,
          id,
          seq,
          c.body.subarray(offset, offset + CHUNK_BYTES),
        );
      }
      // Only now: a failed insert rolls the table's creation back with everything else.
      this.#chunkBuckets.add(bucket);
      return true;
    });
  }

  /** A record this instance wrote is no longer in flight (or no longer this attempt's): forget where it was, and its memory copy. */
  #finished(id: string): void {
    this.#kept.drop(id);
    this.#inFlight.delete(id);
  }

  /**
   * Remembers that the attempt's outcome is unknown: retries are told so
   * instead of running it again. Returns false when the in-flight row is not
   * the attempt's any more (purged, or begun again after its lock ran out).
   *
   * @example
   * store.markUnknown(id, { lockExpiresAt }, { kind: "origin-timeout", detail: "the origin did not answer within 30000 ms", at: Date.now() });
   */
  markUnknown(id: string, by: AttemptLock, failure: RecordFailure): boolean {
    const bucket = this.#locate(id);
    this.#finished(id);
    if (bucket === undefined) return false;
    const updated = this.storage.sql.exec(
      `UPDATE ${recordsTable(bucket)} SET state = 'unknown', lock_expires_at = NULL, failure = ? WHERE id = ? AND state = 'in_flight' AND lock_expires_at = ?`,
      JSON.stringify(failure),
      id,
      by.lockExpiresAt,
    ).rowsWritten;
    return updated > 0;
  }

  /**
   * Deletes the attempt's in-flight row, so that a retry runs the request
   * again; a row begun again by a retry after this attempt's lock ran out is
   * left alone (it is that retry's). An in-flight row has no body chunks.
   *
   * @example
   * store.releaseInFlight(id, { lockExpiresAt });
   */
  releaseInFlight(id: string, by: AttemptLock): void {
    const bucket = this.#locate(id);
    this.#finished(id);
    if (bucket === undefined) return;
    this.storage.sql.exec(`DELETE FROM ${recordsTable(bucket)} WHERE id = ? AND state = 'in_flight' AND lock_expires_at = ?`, id, by.lockExpiresAt);
  }

  /**
   * The whole stored body of a completed record: its head, plus the rest
   * from its bucket's chunk table when it is larger than one chunk.
   *
   * @example
   * const bytes = store.bodyOf(store.get(id)!);
   */
  bodyOf(record: IdemRecord): Uint8Array {
    const head = record.bodyHead ?? new Uint8Array(0);
    if ((record.bodySize ?? 0) <= CHUNK_BYTES) return head;
    const rest = this.storage.sql
      .exec<{ data: ArrayBuffer }>(`SELECT data FROM ${chunksTable(bucketOf(record.expiresAt))} WHERE record_id = ? ORDER BY seq`, record.id)
      .toArray()
      .map((row) => new Uint8Array(row.data));
    return concatBytes([head, ...rest]);
  }

  /**
   * The stored body of a completed record, to replay: its bytes when it
   * fits in one chunk (nearly always), else a stream that reads one chunk
   * row per pull, only when the reader asks for more. A replay of a large
   * answer then holds at most its head and the chunk being sent, whatever
   * the body's size, and however many replays run at once; over RPC the
   * stream flows at the client's pace. Each chunk is read only while the
   * record is the one the replay began with (same creation time and
   * fingerprint, still completed): a record purged, replaced or dropped
   * meanwhile breaks the stream off, never mixing two answers' bytes.
   *
   * @example
   * answered("replayed", { status, headers }, store.replayBody(record), record.expiresAt)
   */
  replayBody(record: IdemRecord): Uint8Array | ReadableStream<Uint8Array> {
    const bodySize = record.bodySize ?? 0;
    let head: Uint8Array | null = record.bodyHead ?? new Uint8Array(0);
    if (bodySize <= CHUNK_BYTES) return head;
    const bucket = bucketOf(record.expiresAt);
    const lastSeq = Math.ceil(bodySize / CHUNK_BYTES) - 1;
    let seq = 0;
    const chunks = new ReadableStream<Uint8Array>(
      {
        pull: (controller) => {
          if (head) {
            controller.enqueue(head);
            head = null;
            seq = 1;
            return;
          }
          try {
            const row = this.storage.sql
              .exec<{ data: ArrayBuffer }>(
                `SELECT data FROM ${chunksTable(bucket)} WHERE record_id = ? AND seq = ? AND EXISTS
                   (SELECT 1 FROM ${recordsTable(bucket)} WHERE id = ? AND state = 'completed' AND created_at = ? AND fingerprint = ?)`,
                record.id,
                seq,
                record.id,
                record.createdAt,
                record.fingerprint,
              )
              .toArray()[0];
            if (!row) throw new Error("the stored answer was purged or replaced while it was being replayed");
            controller.enqueue(new Uint8Array(row.data));
          } catch (error) {
            controller.error(error);
            return;
          }
          if (seq++ === lastSeq) controller.close();
        },
      },
      // Nothing is read ahead of the reader.
      { highWaterMark: 0 },
    );
    // Of known length, so the replay carries Content-Length as the first answer did (and a short stream is an error).
    const sized = new FixedLengthStream(bodySize);
    chunks.pipeTo(sized.writable).catch(() => {
      // The error reaches the reader through `sized.readable`.
    });
    return sized.readable;
  }

  /** Deletes every row of an ID, in every bucket (an expired predecessor included), with its body chunks. */
  delete(id: string): void {
    this.#finished(id);
    const buckets = this.#open();
    this.storage.transactionSync(() => {
      for (const bucket of buckets) {
        if (this.#chunkBuckets.has(bucket)) this.storage.sql.exec(`DELETE FROM ${chunksTable(bucket)} WHERE record_id = ?`, id);
        this.storage.sql.exec(`DELETE FROM ${recordsTable(bucket)} WHERE id = ?`, id);
      }
    });
  }

  /**
   * Drops every bucket whose hour is over, whole: no row is written. A bucket
   * holding a record in `keep` (a request still running here, past its TTL)
   * stays until a later sweep.
   */
  dropExpired(now: number, keep: readonly string[] = []): void {
    this.#kept.clear();
    const buckets = this.#open();
    const kept = JSON.stringify(keep);
    for (const bucket of buckets.filter((b) => bucketEnd(b) <= now)) {
      const table = recordsTable(bucket);
      if (
        keep.length > 0 &&
        this.storage.sql.exec(`SELECT 1 FROM ${table} WHERE id IN (SELECT value FROM json_each(?)) LIMIT 1`, kept).toArray().length > 0
      )
        continue;
      this.storage.transactionSync(() => {
        if (this.#chunkBuckets.has(bucket)) this.storage.sql.exec(`DROP TABLE ${chunksTable(bucket)}`);
        this.storage.sql.exec(`DROP TABLE ${table}`);
      });
      this.#chunkBuckets.delete(bucket);
      buckets.splice(buckets.indexOf(bucket), 1);
      this.#lookup = undefined;
    }
  }

  /** When the next bucket is due to be dropped, or null when none is left. */
  nextDropAt(): number | null {
    const oldest = this.#open().at(-1);
    return oldest === undefined ? null : bucketEnd(oldest);
  }
}
