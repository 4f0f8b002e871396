/**
 * `GET {prefix}/records?state=…`: the records in one state across every
 * shard of the keyspace, a page at a time, so an operator sees what is stuck
 * (`outcome-unknown`), running (`in-flight`) or stored (`completed`).
 *
 * Cost: nothing on the request path (no index, no counter, no write); each
 * page asks the shards it walks for their records in ID order after the
 * cursor, each a query of its own on the primary key. A shard reads every
 * row it passes, matching or not, so a page reads at most the rows of the
 * shards it visits (billed at $0.001 per million rows read).
 */

import type { Env } from "../env.ts";
import type { IdemConfig } from "../model/config.ts";
import { type RecordState, SHOWN_STATES, storedState } from "../model/record-states.ts";
import { keyObject } from "../objects/stubs.ts";
import type { RecordListQuery } from "../protocol/messages.ts";
import { recordView } from "./record-view.ts";

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 500;
/** Shards asked at once; a page stops after MAX_SHARDS_PER_PAGE, so one admin call makes at most that many object calls. */
const SHARDS_PER_BATCH = 8;
export const MAX_SHARDS_PER_PAGE = 32;

/** Where a page starts: a shard, and the last record ID already listed in it ("" for none). */
interface Position {
  shard: number;
  after: string;
}

export interface ListQuery {
  /** As stored; the admin API spells it as `SHOWN_STATES` does. */
  state: RecordState;
  limit: number;
  from: Position;
}

/** One page: records in shard order, then ID order; `cursor` asks for the next page, null once every shard is done. */
export interface RecordPage {
  records: ReturnType<typeof recordView>[];
  cursor: string | null;
}

const CURSOR = new RegExp(`^(${Object.values(SHOWN_STATES).join("|")})\\.(\\d{1,5})\\.([0-9a-f]{64})?$`);

/** `outcome-unknown.17.5c0e…`: the state (a cursor continues its own list only), the shard, the last ID listed there. */
function cursorOf(state: RecordState, at: Position): string {
  return `${SHOWN_STATES[state]}.${at.shard}.${at.after}`;
}

/**
 * Reads a list request's query: `state` (required), `limit` (default 100,
 * at most 500) and `cursor` (from the previous page). A problem's detail
 * when it is not one.
 *
 * @example
 * parseListQuery(new URLSearchParams("state=outcome-unknown&limit=50"), 256) // { state: "unknown", limit: 50, from: { shard: 0, after: "" } }
 */
export function parseListQuery(query: URLSearchParams, shards: number): ListQuery | { detail: string } {
  const state = query.get("state") ?? "";
  const stored = storedState(state);
  if (stored === undefined) return { detail: `state must be one of ${Object.values(SHOWN_STATES).join(", ")}` };
  const limitText = query.get("limit");
  const limit = limitText === null ? DEFAULT_LIST_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) return { detail: `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}` };
  const cursor = query.get("cursor");
  if (cursor === null) return { state: stored, limit, from: { shard: 0, after: "" } };
  const parts = CURSOR.exec(cursor);
  const shard = Number(parts?.[2]);
  if (!parts || parts[1] !== state || shard >= shards) {
    return { detail: "cursor must be one a previous page of this list gave (same state, same keyspace)" };
  }
  return { state: stored, limit, from: { shard, after: parts[3] ?? "" } };
}

/**
 * One page of records in `query.state`, walking the shards from the
 * cursor's: a batch of shards at a time, each asked for at most the room
 * left on the page, until the page is full, the shards run out, or
 * MAX_SHARDS_PER_PAGE were asked (then the page may be short, even empty,
 * with a cursor: follow it until it is null).
 *
 * @example
 * const page = await listRecords(env, config, { state: "outcome-unknown", limit: 100, from: { shard: 0, after: "" } });
 * page.cursor // "outcome-unknown.9.5c0e…", or null after the last shard
 */
export async function listRecords(env: Env, config: IdemConfig, query: ListQuery): Promise<RecordPage> {
  const { shards } = config.keyspace;
  const records: RecordPage["records"] = [];
  let at = query.from;
  const stop = Math.min(shards, at.shard + MAX_SHARDS_PER_PAGE);
  while (at.shard < stop && records.length < query.limit) {
    const asked = query.limit - records.length;
    const batch = Array.from({ length: Math.min(SHARDS_PER_BATCH, stop - at.shard) }, (_, i) => at.shard + i);
    const pages = await Promise.all(
      batch.map((shard, i) => {
        const call: RecordListQuery = { state: query.state, after: i === 0 ? at.after : "", limit: asked };
        const name = `shard-${shard}`;
        return Promise.resolve(keyObject(env, name, config.placement).list(call)).then((page) => ({ name, page }));
      }),
    );
    for (const [i, { name, page }] of pages.entries()) {
      const shard = batch[i] as number;
      const taken = page.slice(0, query.limit - records.length);
      records.push(...taken.map((snapshot) => recordView(snapshot, name)));
      // A shard that gave all it was asked for may hold more: the next page starts after the last one listed.
      const last = taken.at(-1);
      at = taken.length < page.length || page.length === asked ? { shard, after: last?.id ?? at.after } : { shard: shard + 1, after: "" };
      if (records.length === query.limit) break;
    }
  }
  return { records, cursor: at.shard < shards ? cursorOf(query.state, at) : null };
}
