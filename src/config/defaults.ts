import type { StatusSelector } from "../http/status.ts";

/**
 * Defaults for every optional knob: the one place they are written
 * (src/config/resolve.ts applies them; docs/configuration.md lists them, and a
 * docs test checks it against the effective config).
 *
 * @example
 * DEFAULTS.ttlSeconds // 86_400
 */
export const DEFAULTS = {
  originTimeoutMs: 30_000,
  maxRequestBodyBytes: 1024 * 1024,
  methods: ["POST", "PATCH"],
  keySource: "header:Idempotency-Key",
  keyRequired: false,
  keyMaxLength: 255,
  mode: "replay",
  scope: ["header:Authorization"],
  /** A caller Idem cannot tell apart from others is refused, never given another's records (docs/behaviour.md, rule 3). */
  anonymous: "refuse",
  /** Erply's own limit on calls per bulk request. */
  batchMaxCalls: 100,
  ttlSeconds: 86_400,
  concurrency: "wait",
  waitTimeoutMs: 5_000,
  /** Added to the origin timeout to get the default lock timeout. */
  lockMarginMs: 5_000,
  fingerprintHeaders: [],
  parsing: "strict",
  neverStoreStatuses: [408, 409, 425, 429] as StatusSelector[],
  dedupWindowSeconds: 86_400,
  dedupNeverStoreStatuses: ["400-599"] as StatusSelector[],
  maxStoredResponseBytes: 10 * 1024 * 1024,
  editTimeoutMs: 5_000,
  /** At most once: a request whose outcome is unknown is never run again (docs/behaviour.md, rule 9). */
  onUnknownOutcome: "remember",
  errorFormat: "problem",
  /** Where the `erply` error format finds the call name it echoes. */
  errorCallField: "param:request",
  /** What `forwardKey` sends: the record's ID. */
  forwardKeyValue: "record",
  /** A document route edits the document unless it says it deletes it. */
  documentDelete: false,
  /** A compared field counts whether or not it is supplied. */
  compareIfPresent: false,
  /** Origin credentials only on requests a route sends there. */
  credentialsPassThrough: false,
  /** Every pass-through decision gets a log line. */
  decisionLogPassThroughRate: 1,
  keyspaceStrategy: "sharded",
  shards: 256,
  adminPathPrefix: "/__idem",
} as const;
