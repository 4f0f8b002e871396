/**
 * What an example's `example.ts` declares (scripts/examples.ts finds them).
 * Types only, without Node's: a Worker's folder (examples/in-worker) holds
 * one too, and is type-checked for the Workers runtime.
 */

/** A demo server an example's config points at. Every one in this repository logs requests at `GET /__demo/requests`. */
export interface LocalOrigin {
  url: string;
  close(): Promise<void>;
}

/** A keyed request that shows what Idem adds: sent twice, the second answer is the first one, replayed. README shows it. */
export interface SampleRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** JSON, sent with `Content-Type: application/json`. */
  json?: unknown;
  /** A form, sent as curl's `-d` sends it (`application/x-www-form-urlencoded`). */
  form?: string;
}

/** What an `example.ts` declares (its default export). */
export interface Example {
  /** One line for the list of examples. */
  summary: string;
  /** The wrangler config, relative to the declaring folder. */
  wranglerConfig: string;
  /**
   * The demo servers the Idem config's origins point at, by where the config
   * names them (`origin`, `origins.payments`). Each starts on `port`, the one
   * the example's README uses (tests take a free one), and the config runs
   * with that origin's URL replaced by the server's.
   */
  origins?: Record<string, { port: number; start(port: number): Promise<LocalOrigin> }>;
  /** The Workers its service bindings reach, by service name: each one's entry file, relative to the folder. */
  boundWorkers?: Record<string, string>;
  sample: SampleRequest;
}
