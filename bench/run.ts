/**
 * `npm run bench`: the benchmark suite. Starts the origin (0 ms and 20 ms),
 * Idem (the wrangler-built bundle on Miniflare/workerd), the peer (a Node
 * proxy with @node-idempotency/core on Redis), drives every workload against
 * each with autocannon, prints a table, and writes docs/benchmarks.md and
 * docs/benchmarks.svg from the same run.
 *
 * `npm run bench -- --keyspace` compares Idem's sharded (default) and
 * per-key keyspaces instead (its own section of docs/benchmarks.md, and
 * docs/benchmarks-keyspace.svg).
 *
 * Each workload runs under load (32 connections), and a few once more one
 * request at a time, to show what each subject adds when nothing queues.
 *
 * Options: `--duration=6` seconds per measured run under load,
 * `--connections=32`, `--only=fresh,replay` (run some scenarios, print,
 * write nothing).
 */
import { parseArgs } from "node:util";
import { buildBundle } from "../harness/bundled-worker.ts";
import { startRedis } from "./redis.ts";
import { currentLoad, describeMachine, printTable, type Row, type SubjectId, writeReport } from "./report.ts";
import { type Service, startNodeService } from "./services.ts";
import { type LoadOptions, type Measurement, measure, SCENARIOS, type ScenarioId } from "./workloads.ts";

/** One pass: every subject runs its workloads, at each origin latency, under one load. */
interface Pass {
  latenciesMs: number[];
  load: LoadOptions;
  subjects: { id: SubjectId; scenarios: ScenarioId[] }[];
}

const KEYED: ScenarioId[] = ["fresh", "replay", "hot-key", "mixed"];

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "6" },
    connections: { type: "string", default: "32" },
    keyspace: { type: "boolean", default: false },
    only: { type: "string" },
  },
});
const loaded: LoadOptions = { connections: Number(args.connections), durationSeconds: Number(args.duration) };
/** One request at a time: what each subject adds to a request when nothing queues. */
const unloaded: LoadOptions = { connections: 1, durationSeconds: 4 };

const MAIN_PASSES: Pass[] = [
  {
    latenciesMs: [0, 20],
    load: loaded,
    subjects: [
      { id: "origin", scenarios: ["origin"] },
      { id: "bare-worker", scenarios: ["no-key"] },
      { id: "idem", scenarios: ["no-key", ...KEYED] },
      { id: "peer", scenarios: ["no-key", ...KEYED] },
    ],
  },
  {
    latenciesMs: [20],
    load: unloaded,
    subjects: [
      { id: "origin", scenarios: ["origin"] },
      { id: "bare-worker", scenarios: ["no-key"] },
      { id: "idem", scenarios: ["no-key", "fresh", "replay"] },
      { id: "peer", scenarios: ["no-key", "fresh", "replay"] },
    ],
  },
];
const KEYSPACE_PASSES: Pass[] = [
  {
    latenciesMs: [0, 20],
    load: loaded,
    subjects: [
      { id: "origin", scenarios: ["origin"] },
      { id: "idem", scenarios: KEYED },
      { id: "idem-per-key", scenarios: KEYED },
    ],
  },
];

const only = args.only?.split(",") as ScenarioId[] | undefined;
const passes = args.keyspace ? KEYSPACE_PASSES : MAIN_PASSES;
const startedAt = Date.now();
const loadBefore = currentLoad();

console.log("Building the Worker bundle (wrangler deploy --dry-run) …");
const bundle = buildBundle("wrangler.toml", ".wrangler/bench");
const needsPeer = passes.some((pass) => pass.subjects.some((s) => s.id === "peer"));
const redis = needsPeer ? await startRedis() : undefined;
function requireRedis(): NonNullable<typeof redis> {
  if (!redis) throw new Error("the peer needs Redis, which was not started");
  return redis;
}
const rows: Row[] = [];

async function startSubject(id: SubjectId, originUrl: string): Promise<Service | undefined> {
  switch (id) {
    case "origin":
      return undefined;
    case "idem":
      return startNodeService("bench/idem-worker.ts", [bundle, originUrl, "sharded"]);
    case "idem-per-key":
      return startNodeService("bench/idem-worker.ts", [bundle, originUrl, "per-key"]);
    case "bare-worker":
      return startNodeService("bench/bare-worker.ts", [originUrl]);
    case "peer":
      return startNodeService("bench/peer/proxy.ts", [originUrl, requireRedis().url]);
  }
}

try {
  for (const pass of passes) {
    for (const latencyMs of pass.latenciesMs) {
      const origin = await startNodeService("bench/origin.ts", [String(latencyMs)]);
      try {
        for (const subject of pass.subjects) {
          const scenarios = subject.scenarios.filter((s) => !only || only.includes(s));
          if (scenarios.length === 0) continue;
          const service = await startSubject(subject.id, origin.url);
          try {
            for (const scenario of scenarios) {
              const { connections } = pass.load;
              process.stdout.write(`  ${latencyMs} ms origin · ${connections} conn · ${subject.id} · ${SCENARIOS[scenario].title} … `);
              const cpu =
                subject.id === "peer" ? () => (service ?? origin).cpuSeconds() + requireRedis().cpuSeconds() : () => (service ?? origin).cpuSeconds();
              const prefix = `${subject.id}-${latencyMs}-${connections}-${scenario}-${startedAt}`;
              const m: Measurement = await measure(scenario, service?.url ?? origin.url, origin.url, prefix, pass.load, cpu);
              console.log(
                `${Math.round(m.requestsPerSecond)} req/s, p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms, ${m.cpuMsPerRequest.toFixed(2)} CPU ms/req`,
              );
              rows.push({ latencyMs, connections, subject: subject.id, scenario, ...m });
            }
          } finally {
            await service?.stop();
          }
        }
      } finally {
        await origin.stop();
      }
    }
  }
} finally {
  await redis?.stop();
}

printTable(rows);
if (!only) {
  const facts = {
    rows,
    load: loaded,
    command: `npm run bench${args.keyspace ? " -- --keyspace" : ""}`,
    seconds: Math.round((Date.now() - startedAt) / 1000),
    machine: describeMachine(),
    loadBefore,
    loadAfter: currentLoad(),
  };
  const order: SubjectId[] = ["idem", "idem-per-key", "peer", "bare-worker"];
  const present = new Set(passes.flatMap((pass) => pass.subjects.map((s) => s.id)));
  const subjects = order.filter((id) => present.has(id));
  const files = args.keyspace
    ? writeReport("keyspace", "docs/benchmarks-keyspace.svg", facts, subjects)
    : writeReport("results", "docs/benchmarks.svg", facts, subjects);
  console.log(`Wrote ${files.join(", ")}`);
}
console.log(`Done in ${Math.round((Date.now() - startedAt) / 1000)} s.`);
