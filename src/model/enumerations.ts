/**
 * The words a config may choose between, each written once as the picklist
 * the config schema (src/config/schema.ts) validates with; the runtime model
 * (src/model/config.ts) takes its types from the same picklists.
 *
 * @example
 * v.parse(v.optional(modeSchema), "reject") // "reject"
 */
import * as v from "valibot";

/** `reject`: a key is single-use (Erply's temporaryUUID); `replay`: retries get the stored answer. */
export const modeSchema = v.picklist(["replay", "reject"]);
/** A keyed request without any scope field: refused, or put in the one scope all such callers share. */
export const anonymousSchema = v.picklist(["refuse", "share"]);
/** What a request finds while its record is in flight: it waits for the answer, or gets 409 at once. */
export const concurrencySchema = v.picklist(["wait", "conflict"]);
/** `remember`: an unknown outcome is kept, and retries are told so; `release`: the key is released (docs/behaviour.md, rule 9). */
export const unknownOutcomeSchema = v.picklist(["remember", "release"]);
/** What `forwardKey` sends to the origin: the client's key or the record's ID. */
export const forwardedValueSchema = v.picklist(["key", "record"]);
/** How error answers are written. */
export const errorFormatSchema = v.picklist(["problem", "erply", "json"]);
/** The bulk request formats Idem can split into calls. */
export const batchFormatSchema = v.picklist(["erply"]);
/** One object per key, or keys spread over a fixed number of shard objects. */
export const keyspaceStrategySchema = v.picklist(["per-key", "sharded"]);
/** How a route reads media types and fields (`Parsing` in src/http/media-type.ts). */
export const parsingSchema = v.picklist(["strict", "php"]);
/** Durable Object location hints (Cloudflare's list). */
export const locationHintSchema = v.picklist(["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"]);
/** Durable Object jurisdictions (Cloudflare's list). */
export const jurisdictionSchema = v.picklist(["eu", "fedramp"]);

export type Mode = v.InferOutput<typeof modeSchema>;
export type Anonymous = v.InferOutput<typeof anonymousSchema>;
export type Concurrency = v.InferOutput<typeof concurrencySchema>;
export type UnknownOutcomePolicy = v.InferOutput<typeof unknownOutcomeSchema>;
export type ForwardedValue = v.InferOutput<typeof forwardedValueSchema>;
export type ErrorFormat = v.InferOutput<typeof errorFormatSchema>;
export type BatchFormat = v.InferOutput<typeof batchFormatSchema>;
export type KeyspaceStrategy = v.InferOutput<typeof keyspaceStrategySchema>;
export type LocationHint = v.InferOutput<typeof locationHintSchema>;
export type Jurisdiction = v.InferOutput<typeof jurisdictionSchema>;

/** Every kind of error answer the gateway gives; a config may override each one's status, code and message (`errors.kinds`). */
export const ERROR_KINDS = [
  "invalid-key",
  "key-required",
  "invalid-body",
  "unsupported-media-type",
  "body-too-large",
  "fingerprint-mismatch",
  "in-progress",
  "key-already-used",
  "edit-timeout",
  "delete-in-progress",
  "origin-timeout",
  "origin-unreachable",
  "origin-broken-response",
  "origin-invalid-status",
  "outcome-unknown",
  "response-not-replayable",
  "coordinator-unavailable",
  "version-skew",
  "ambiguous-path",
  "method-not-allowed",
  "origin-not-allowed",
  "caller-unidentified",
  "batch-too-large",
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];
