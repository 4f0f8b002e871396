import type { IdemRecord } from "./record-schema.ts";

/** A record whose body and headers take more than this is never kept in memory (most API answers take less). */
export const MAX_KEPT_RECORD_BYTES = 8 * 1024;

/**
 * What one object keeps in memory at most, bodies and headers counted.
 * Objects of one class may share an isolate and its 128 MB, so this is
 * small: all 256 shards of the default keyspace in one isolate keep 16 MiB.
 */
export const MAX_KEPT_BYTES = 64 * 1024;

/**
 * Completed records a KeyObject has read, kept in memory so that a replay
 * skips its row read and decoding: about 0.1 M of a replay's 1.3–1.4 M
 * instructions in workerd (docs/benchmarks.md). A completed record changes
 * only by being deleted, and RecordStore drops a record here before every
 * write to it, so memory never disagrees with storage. Bounded: small
 * records only, MAX_KEPT_BYTES in all, the oldest kept dropped first.
 *
 * @example
 * const kept = new CompletedRecords();
 * kept.keep(record, 1_200);
 * kept.get(record.id) // record
 */
export class CompletedRecords {
  readonly #records = new Map<string, { record: IdemRecord; bytes: number }>();
  #bytes = 0;

  get(id: string): IdemRecord | undefined {
    return this.#records.get(id)?.record;
  }

  /** Keeps a completed record that takes `bytes` (body and headers as stored); anything else is left out. */
  keep(record: IdemRecord, bytes: number): void {
    if (record.state !== "completed" || bytes > MAX_KEPT_RECORD_BYTES) return;
    this.drop(record.id);
    this.#records.set(record.id, { record: Object.freeze(record), bytes });
    this.#bytes += bytes;
    for (const [id] of this.#records) {
      if (this.#bytes <= MAX_KEPT_BYTES) break;
      this.drop(id);
    }
  }

  drop(id: string): void {
    const kept = this.#records.get(id);
    if (!kept) return;
    this.#records.delete(id);
    this.#bytes -= kept.bytes;
  }

  clear(): void {
    this.#records.clear();
    this.#bytes = 0;
  }
}
