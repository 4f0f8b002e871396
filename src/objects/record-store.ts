import type { HeaderList } from "../http/headers.ts";
import type { RecordKind, RecordListQuery } from "../protocol/messages.ts";
import type { RecordFailure } from "../protocol/snapshots.ts";
import type { RecordState } from "../record/rules.ts";
import { concatBytes } from "../util/bytes.ts";
import { CompletedRecords } from "./completed-records.ts";

/**
 * Storage schema of a KeyObject (SQLite-backed Durable Object).
 *
 * `records`: one row per remembered request.
 *
 * | column          | meaning                                                                    |
 * |-----------------|----------------------------------------------------------------------------|
 * | id              | SHA-256 of (kind, route, scope hash, key or content hash); never a raw key  |
 * | kind            | `key` (Idempotency-Key or key field) or `dedup` (content rule)              |
 * | route           | route name, for the admin API and logs                                     |
 * | fingerprint     | SHA-256 of the canonical request                                           |
 * | state           | `in_flight` while the origin works, `completed` once its answer is stored, |
 * |                 | `unknown` when the origin may have acted but its answer never came back    |
 * | created_at      | ms since epoch                                                             |
 * | expires_at      | ms since epoch; never replayed from this instant, deleted by the alarm     |
 * | lock_expires_at | ms since epoch; an in-flight row whose owner died is taken over after this; |
 * |                 | it also names the attempt that wrote the row (AttemptLock)                 |
 * | status          | origin's status (completed rows)                                          |
 * | headers         | JSON array of [name, value] pairs, end-to-end, without Set-Cookie          |
 * | body_size       | bytes of the origin's body; NULL when it was not retained                  |
 * | body_retained   | 1 when the body is stored; 0 when it passed the storage cap                |
 * | body            | the body's first 1 MiB (all of it, nearly always)                          |
 * | failure         | `unknown` rows: JSON `{kind, detail, originStatus?, at}`, what went wrong  |
 *
 * `body_chunks`: the rest of a body above 1 MiB, in 1 MiB rows (seq 1, 2, …),
 * below the 2 MB row limit. Created the first time such a body is stored.
 *
 * Why this shape: storage is billed per row written, indexes included, and a
 * new object parses every statement afresh. `WITHOUT ROWID` keys the rows by
 * `id` itself (no second index to write), and keeping the body in the record
 * makes a first execution write 3 rows instead of 6 and a replay read one
 * row (see docs/scaling.md, "Rows per request").
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  route TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  lock_expires_at INTEGER,
  status INTEGER,
  headers TEXT,
  body_size INTEGER,
  body_retained INTEGER NOT NULL DEFAULT 0,
  body BLOB,
  failure TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_expiry ON records (expires_at);
`;

/** Objects whose table predates the `failure` column get it on first use (SQLite adds it without rewriting rows). */
const HAS_FAILURE_COLUMN = "SELECT 1 FROM pragma_table_info('records') WHERE name = 'failure'";
const ADD_FAILURE_COLUMN = "ALTER TABLE records ADD COLUMN failure TEXT";

const CHUNKS_SCHEMA = `
CREATE TABLE IF NOT EXISTS body_chunks (
  record_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (record_id, seq)
) WITHOUT ROWID;
`;

export const CHUNK_BYTES = 1024 * 1024;

export interface IdemRecord {
  id: string;
  kind: RecordKind;
  route: string;
  fingerprint: string;
  state: RecordState;
  createdAt: number;
  expiresAt: number;
  lockExpiresAt: number | null;
  status: number | null;
  headers: HeaderList;
  bodySize: number | null;
  bodyRetained: boolean;
  /** The body's first CHUNK_BYTES (all of it when it is no larger); null until completed or when not retained. */
  bodyHead: Uint8Array | null;
  /** Set on `unknown` records. */
  failure: RecordFailure | null;
}

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

/**
 * The records of one KeyObject, over its synchronous SQLite API. Each method
 * runs without yielding, so a read followed by a write in one event is atomic.
 * Completed records it reads stay in memory for replays (CompletedRecords);
 * every write drops the record from there first.
 *
 * @example
 * const store = new RecordStore(ctx.storage);
 * store.insertInFlight({ id, kind: "key", route: "orders", fingerprint, createdAt, expiresAt, lockExpiresAt });
 */
export class RecordStore {
  #schemaReady = false;
  /** Whether `body_chunks` exists; undefined until looked up. */
  #chunkTable: boolean | undefined;
  readonly #kept = new CompletedRecords();

  constructor(private readonly storage: DurableObjectStorage) {}

  /** Call after `deleteAll()`: the tables are gone and are created again on next use. */
  forgetSchema(): void {
    this.#kept.clear();
    this.#schemaReady = false;
    this.#chunkTable = false;
  }

  get #sql(): SqlStorage {
    if (!this.#schemaReady) {
      this.storage.sql.exec(SCHEMA);
      if (this.storage.sql.exec(HAS_FAILURE_COLUMN).toArray().length === 0) this.storage.sql.exec(ADD_FAILURE_COLUMN);
      this.#schemaReady = true;
    }
    return this.storage.sql;
  }

  #hasChunkTable(): boolean {
    this.#chunkTable ??= this.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'body_chunks'").toArray().length > 0;
    return this.#chunkTable;
  }

  /**
   * Like `get`, but never creates the tables: the admin API may ask an object
   * that has never stored anything, and must leave it without storage.
   */
  find(id: string): IdemRecord | undefined {
    return this.#hasRecordsTable() ? this.get(id) : undefined;
  }

  #hasRecordsTable(): boolean {
    return this.#schemaReady || this.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'records'").toArray().length > 0;
  }

  /**
   * Records in one state with IDs after `query.after`, in ID order, at most
   * `query.limit`, not expired at `now`; their bodies are not read (a row's
   * body stays in storage, `bodyHead` is null). Like `find`, it never creates
   * the tables. It walks the primary key from `after`: rows read are the
   * rows it passes, matching or not (no index on state: that would be one
   * more row written by every request).
   *
   * @example
   * store.list({ state: "unknown", after: "", limit: 100 }, Date.now()) // the first 100 unknown outcomes, by ID
   */
  list(query: RecordListQuery, now: number): IdemRecord[] {
    if (!this.#hasRecordsTable()) return [];
    return this.#sql
      .exec<Row>(
        `SELECT id, kind, route, fingerprint, state, created_at, expires_at, lock_expires_at, status, headers,
           body_size, body_retained, NULL AS body, failure
         FROM records WHERE id > ? AND state = ? AND expires_at > ? ORDER BY id LIMIT ?`,
        query.after,
        query.state,
        now,
        query.limit,
      )
      .toArray()
      .map(fromRow);
  }

  get(id: string): IdemRecord | undefined {
    const kept = this.#kept.get(id);
    if (kept) return kept;
    const row = this.#sql.exec<Row>("SELECT * FROM records WHERE id = ?", id).toArray()[0];
    if (!row) return undefined;
    const record = fromRow(row);
    this.#kept.keep(record, (row.body?.byteLength ?? 0) + (row.headers?.length ?? 0));
    return record;
  }

  insertInFlight(r: NewInFlight): void {
    this.#kept.drop(r.id);
    this.#sql.exec(
      `INSERT INTO records (id, kind, route, fingerprint, state, created_at, expires_at, lock_expires_at)
       VALUES (?, ?, ?, ?, 'in_flight', ?, ?, ?)`,
      r.id,
      r.kind,
      r.route,
      r.fingerprint,
      r.createdAt,
      r.expiresAt,
      r.lockExpiresAt,
    );
  }

  /**
   * Stores the origin's answer for the attempt that wrote the in-flight row
   * (`by`, see AttemptLock), or an answer an operator gives for a record whose
   * outcome was unknown or whose owner died in flight (`"operator"`). Returns
   * false when the row is not the attempt's any more (purged, taken over, or
   * begun again by a retry after its lock ran out).
   */
  complete(id: string, c: Completion, by: AttemptLock | "operator"): boolean {
    const whose = by === "operator" ? "state IN ('in_flight', 'unknown')" : "state = 'in_flight' AND lock_expires_at = ?";
    this.#kept.drop(id);
    return this.storage.transactionSync(() => {
      const updated = this.#sql.exec(
        `UPDATE records SET state = 'completed', lock_expires_at = NULL, failure = NULL,
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
      this.storage.sql.exec(CHUNKS_SCHEMA);
      for (let seq = 1, offset = CHUNK_BYTES; offset < c.body.byteLength; seq++, offset += CHUNK_BYTES) {
        this.#sql.exec("INSERT INTO body_chunks (record_id, seq, data) VALUES (?, ?, ?)", id, seq, c.body.subarray(offset, offset + CHUNK_BYTES));
      }
      // Only now: a failed insert rolls the table's creation back with everything else.
      this.#chunkTable = true;
      return true;
    });
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
    this.#kept.drop(id);
    const updated = this.#sql.exec(
      "UPDATE records SET state = 'unknown', lock_expires_at = NULL, failure = ? WHERE id = ? AND state = 'in_flight' AND lock_expires_at = ?",
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
    this.#kept.drop(id);
    this.#sql.exec("DELETE FROM records WHERE id = ? AND state = 'in_flight' AND lock_expires_at = ?", id, by.lockExpiresAt);
  }

  /**
   * The whole stored body of a completed record: its head, plus the rest
   * from `body_chunks` when it is larger than one chunk.
   *
   * @example
   * const bytes = store.bodyOf(store.get(id)!);
   */
  bodyOf(record: IdemRecord): Uint8Array {
    const head = record.bodyHead ?? new Uint8Array(0);
    if ((record.bodySize ?? 0) <= CHUNK_BYTES) return head;
    const rest = this.#sql
      .exec<{ data: ArrayBuffer }>("SELECT data FROM body_chunks WHERE record_id = ? ORDER BY seq", record.id)
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
   * fingerprint, still completed): a record purged or replaced meanwhile
   * breaks the stream off, never mixing two answers' bytes.
   *
   * @example
   * answered("replayed", { status, headers }, store.replayBody(record), record.expiresAt)
   */
  replayBody(record: IdemRecord): Uint8Array | ReadableStream<Uint8Array> {
    const bodySize = record.bodySize ?? 0;
    let head: Uint8Array | null = record.bodyHead ?? new Uint8Array(0);
    if (bodySize <= CHUNK_BYTES) return head;
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
            const row = this.#sql
              .exec<{ data: ArrayBuffer }>(
                `SELECT data FROM body_chunks WHERE record_id = ? AND seq = ? AND EXISTS
                   (SELECT 1 FROM records WHERE id = ? AND state = 'completed' AND created_at = ? AND fingerprint = ?)`,
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

  delete(id: string): void {
    this.#kept.drop(id);
    this.storage.transactionSync(() => {
      if (this.#hasChunkTable()) this.#sql.exec("DELETE FROM body_chunks WHERE record_id = ?", id);
      this.#sql.exec("DELETE FROM records WHERE id = ?", id);
    });
  }

  /** Deletes every record whose expiry has passed, except those in `keep`. */
  deleteExpired(now: number, keep: readonly string[] = []): void {
    this.#kept.clear();
    const kept = JSON.stringify(keep);
    this.storage.transactionSync(() => {
      const expired = "SELECT id FROM records WHERE expires_at <= ? AND id NOT IN (SELECT value FROM json_each(?))";
      if (this.#hasChunkTable()) this.#sql.exec(`DELETE FROM body_chunks WHERE record_id IN (${expired})`, now, kept);
      this.#sql.exec(`DELETE FROM records WHERE id IN (${expired})`, now, kept);
    });
  }

  /** The earliest expiry still ahead of `now`, or null when no record has one. */
  nextExpiry(now: number): number | null {
    const row = this.#sql.exec<{ next: number | null }>("SELECT min(expires_at) AS next FROM records WHERE expires_at > ?", now).one();
    return row.next;
  }
}
