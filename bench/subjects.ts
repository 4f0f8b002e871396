/**
 * Every subject the benchmark drives, and how to start it: Idem's bundle,
 * the references and floors on workerd, the peer and the bare Node proxy
 * beside it, and the origin alone.
 */
import { benchConfig, type KeyspaceStrategy } from "./idem-config.ts";
import { BARE_FORWARDER, FLOORS, HELLO_WORLD } from "./references.ts";
import { type Service, startNodeService } from "./services.ts";
import { startWorkerd, type WorkerdOptions, type WorkerSpec } from "./workerd.ts";

export type SubjectId =
  | "origin"
  | "hello"
  | "bare-worker"
  | "floor-replay"
  | "floor-replay-identified"
  | "floor-fresh"
  | "floor-fresh-identified"
  | "idem"
  | "idem-per-key"
  | "bare-proxy"
  | "peer";

export const SUBJECT_NAMES: Record<SubjectId, string> = {
  origin: "origin alone (Node)",
  hello: "hello-world Worker",
  "bare-worker": "bare forwarding Worker",
  "floor-replay": "floor: 1 RPC, 1 row read, 1 KB",
  "floor-replay-identified": "floor of a replay with Idem's identity: body read, 4 SHA-256, fingerprint compared",
  "floor-fresh": "floor: 1 RPC, 1 read, 2 row writes, 1 fetch()",
  "floor-fresh-identified": "floor of a fresh key with Idem's identity: body read, 4 SHA-256, fingerprint stored",
  idem: "Idem (sharded keyspace, the default)",
  "idem-per-key": "Idem, per-key keyspace",
  "bare-proxy": "bare Node reverse proxy",
  peer: "peer (Node + @node-idempotency on Redis)",
};

/** Which runtime a subject runs on: Idem's costs are read against workerd's references, the peer's against Node's. */
export const RUNTIME: Record<SubjectId, "workerd" | "node"> = {
  origin: "node",
  hello: "workerd",
  "bare-worker": "workerd",
  "floor-replay": "workerd",
  "floor-replay-identified": "workerd",
  "floor-fresh": "workerd",
  "floor-fresh-identified": "workerd",
  idem: "workerd",
  "idem-per-key": "workerd",
  "bare-proxy": "node",
  peer: "node",
};

/**
 * The workerd spec of a Worker subject: Idem's bundle with the bindings of
 * wrangler.toml (config as JSON, KEYS and DOCUMENTS as SQLite objects,
 * ANALYTICS), or a reference.
 *
 * @example
 * workerSpec("idem", "http://127.0.0.1:9000", ".wrangler/bench/worker.js")
 */
export function workerSpec(id: SubjectId, originUrl: string, bundle: string): WorkerSpec {
  const idem = (strategy: KeyspaceStrategy): WorkerSpec => ({
    module: { file: bundle },
    bindings: [
      { name: "IDEM_CONFIG", json: benchConfig(originUrl, strategy) },
      { name: "KEYS", durableObject: "KeyObject" },
      { name: "DOCUMENTS", durableObject: "DocumentObject" },
      { name: "ANALYTICS", analytics: true },
    ],
    durableObjects: ["KeyObject", "DocumentObject"],
  });
  const floor = (mode: "replay" | "replay-identified" | "fresh" | "fresh-identified"): WorkerSpec => ({
    module: { source: FLOORS },
    bindings: [
      { name: "FLOOR", durableObject: "Floor" },
      { name: "MODE", text: mode },
      { name: "ORIGIN", text: originUrl },
    ],
    durableObjects: ["Floor"],
  });
  switch (id) {
    case "idem":
      return idem("sharded");
    case "idem-per-key":
      return idem("per-key");
    case "hello":
      return { module: { source: HELLO_WORLD }, bindings: [] };
    case "bare-worker":
      return { module: { source: BARE_FORWARDER }, bindings: [{ name: "ORIGIN", text: originUrl }] };
    case "floor-replay":
      return floor("replay");
    case "floor-replay-identified":
      return floor("replay-identified");
    case "floor-fresh":
      return floor("fresh");
    case "floor-fresh-identified":
      return floor("fresh-identified");
    default:
      throw new Error(`${id} is not a Worker`);
  }
}

export interface SubjectContext {
  originUrl: string;
  bundle: string;
  /** Redis for the peer. */
  redis?: Service;
  workerd?: WorkerdOptions;
}

/**
 * Starts a subject; the origin alone is the origin's own service, so it starts nothing.
 *
 * @example
 * const idem = await startSubject("idem", { originUrl, bundle });
 */
export async function startSubject(id: SubjectId, context: SubjectContext): Promise<Service | undefined> {
  switch (id) {
    case "origin":
      return undefined;
    case "bare-proxy":
      return startNodeService("bench/peer/bare-proxy.ts", [context.originUrl]);
    case "peer": {
      const redis = context.redis;
      if (!redis) throw new Error("the peer needs Redis");
      const proxy = await startNodeService("bench/peer/proxy.ts", [context.originUrl, redis.url]);
      // The peer's CPU is its proxy's and its Redis's.
      return { ...proxy, cpuSeconds: () => proxy.cpuSeconds() + redis.cpuSeconds() };
    }
    default:
      return startWorkerd(workerSpec(id, context.originUrl, context.bundle), context.workerd);
  }
}
