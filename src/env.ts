import type { DocumentObject } from "./objects/document-object.ts";
import type { KeyObject } from "./objects/key-object.ts";

/** The Worker's bindings, as declared in wrangler.toml. */
export interface Env {
  /** Idempotency and dedup records: one object per shard (default), or per key. */
  KEYS: DurableObjectNamespace<KeyObject>;
  /** Per-document edit queues. */
  DOCUMENTS: DurableObjectNamespace<DocumentObject>;
  /** The Idem config for small setups: an object (`[vars.IDEM_CONFIG]`) or a JSON string. Unset when a config file is bundled. */
  IDEM_CONFIG?: unknown;
  /** Which `[env.<name>]` section of the config applies (set per wrangler environment); unset: the top level. */
  IDEM_ENV?: string;
  /** Bearer secret of the admin API (`wrangler secret put ADMIN_TOKEN`); admin is off without it. */
  ADMIN_TOKEN?: string;
  /** Optional Workers Analytics Engine dataset: one data point per decision (docs/observability.md). */
  ANALYTICS?: AnalyticsEngineDataset;
}

declare global {
  namespace Cloudflare {
    // Types `env` from "cloudflare:workers" in the Worker and in tests.
    interface Env extends IdemEnv {}
  }
}

type IdemEnv = Env;
