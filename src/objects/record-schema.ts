import type { HeaderList } from "../http/headers.ts";
import type { RecordKind } from "../protocol/messages.ts";
import type { RecordFailure } from "../protocol/snapshots.ts";
import type { RecordState } from "../record/rules.ts";

/**
 * The storage schema of a KeyObject: its version, its tables, and the ordered
 * migrations that bring an older object up to date. docs/storage-schema.md
 * describes every table and column, with an example row for each state.
 *
 * Why records live in expiry buckets: storage is billed per row written,
 * every index entry counting as a row, and a `DELETE` is a row written too;
 * a `DROP TABLE` writes none (measured in workerd: `rowsWritten` 0 for a
 * table of 990 rows). So a record is written to the table of the hour in
 * which it expires, `records_<bucket>`, keyed by its ID alone (no second
 * index), and the expiry alarm drops each table whole once its hour is over.
 * A first execution writes two rows over its record's whole life: the
 * in-flight insert and the completion.
 */

/** The version this code writes. Objects at an older one are migrated on first use (`MIGRATIONS`). */
export const SCHEMA_VERSION = 2;

/**
 * How much expiry time one table holds. A record stays on disk until the end
 * of its bucket, at most this long after it expired (it is never replayed
 * once expired); a lookup reads one table per bucket (25 for a 24 h TTL), five
 * to a statement (RecordStore).
 */
export const EXPIRY_BUCKET_MS = 60 * 60 * 1000;

/** A body larger than this is stored in chunk rows, below SQLite's 2 MB row limit. */
export const CHUNK_BYTES = 1024 * 1024;

/** The table holding the schema version: one row, written once per object. */
export const VERSION_TABLE = "idem_schema";

/**
 * The bucket a record expiring at `expiresAt` is stored in: the table that
 * is dropped at `bucketEnd(bucket)`, no earlier than the record expires.
 *
 * @example
 * bucketOf(Date.UTC(2026, 11, 6, 10, 30)) // the 10:00-11:00 UTC bucket, dropped at 11:00
 */
export function bucketOf(expiresAt: number): number {
  return Math.ceil(expiresAt / EXPIRY_BUCKET_MS);
}

/** When a bucket's tables are dropped: the end of its hour. */
export function bucketEnd(bucket: number): number {
  return bucket * EXPIRY_BUCKET_MS;
}

/**
 * When a record expiring at `expiresAt` leaves storage: its bucket's end,
 * the time its expiry alarm is set for.
 *
 * @example
 * droppedAt(Date.UTC(2026, 11, 6, 10, 30)) // Date.UTC(2026, 11, 6, 11, 0)
 */
export function droppedAt(expiresAt: number): number {
  return bucketEnd(bucketOf(expiresAt));
}

export const recordsTable = (bucket: number): string => `records_${bucket}`;
export const chunksTable = (bucket: number): string => `chunks_${bucket}`;

/** The bucket a table of records belongs to, or undefined for any other table. */
export function bucketOfTable(name: string): number | undefined {
  const match = /^records_(\d+)$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

const RECORD_COLUMNS = `
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
  failure TEXT`;

const COLUMN_NAMES = RECORD_COLUMNS.split(",")
  .map((column) => column.trim().split(" ")[0])
  .join(", ");

/** The statement that creates one bucket's table of records. */
export const createRecordsTable = (bucket: number): string => `CREATE TABLE IF NOT EXISTS ${recordsTable(bucket)} (${RECORD_COLUMNS}) WITHOUT ROWID`;

/** The statement that creates one bucket's table of body chunks (the rest of bodies above CHUNK_BYTES). */
export const createChunksTable = (bucket: number): string =>
  `CREATE TABLE IF NOT EXISTS ${chunksTable(bucket)} (
    record_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (record_id, seq)
  ) WITHOUT ROWID`;

/** A stored record, as the object's code reads it. */
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

/** One step from an older schema to the next version. */
interface Migration {
  /** The version this step brings an object to. */
  to: number;
  /** What changed, for a reader of the list. */
  what: string;
  up(sql: SqlStorage): void;
}

/**
 * Every schema change since the first deploy, oldest first. Objects written
 * before versioning have no `idem_schema` table: their version is read from
 * their tables (`legacyVersion`). Append a step for every change; never edit
 * one that has shipped.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    to: 1,
    what: "records remember why an outcome is unknown (the failure column)",
    up: (sql) => sql.exec("ALTER TABLE records ADD COLUMN failure TEXT"),
  },
  {
    to: 2,
    what: "records move from one table with an expiry index into expiry buckets, dropped whole by the alarm",
    up: moveIntoBuckets,
  },
];

/**
 * The version of an object that predates the version table: 0 with the first
 * `records` table, 1 once it had the failure column, null for an object that
 * has stored nothing.
 */
export function legacyVersion(sql: SqlStorage, tables: ReadonlySet<string>): number | null {
  if (!tables.has("records")) return null;
  return sql.exec("SELECT 1 FROM pragma_table_info('records') WHERE name = 'failure'").toArray().length > 0 ? 1 : 0;
}

/** Version 1 to 2: each record, with its body chunks, into the bucket of its expiry; the old tables and the index dropped. */
function moveIntoBuckets(sql: SqlStorage): void {
  const hasChunks = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'body_chunks'").toArray().length > 0;
  const buckets = sql
    .exec<{ bucket: number }>(`SELECT DISTINCT CAST((expires_at + ? - 1) / ? AS INTEGER) AS bucket FROM records`, EXPIRY_BUCKET_MS, EXPIRY_BUCKET_MS)
    .toArray();
  for (const { bucket } of buckets) {
    const range = [bucketEnd(bucket - 1), bucketEnd(bucket)];
    sql.exec(createRecordsTable(bucket));
    sql.exec(
      `INSERT INTO ${recordsTable(bucket)} (${COLUMN_NAMES}) SELECT ${COLUMN_NAMES} FROM records WHERE expires_at > ? AND expires_at <= ?`,
      ...range,
    );
    if (!hasChunks) continue;
    sql.exec(createChunksTable(bucket));
    sql.exec(
      `INSERT INTO ${chunksTable(bucket)} (record_id, seq, data)
       SELECT c.record_id, c.seq, c.data FROM body_chunks c JOIN records r ON r.id = c.record_id WHERE r.expires_at > ? AND r.expires_at <= ?`,
      ...range,
    );
  }
  if (hasChunks) sql.exec("DROP TABLE body_chunks");
  sql.exec("DROP TABLE records");
}
