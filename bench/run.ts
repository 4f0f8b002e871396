/**
 * `npm run bench`: the benchmark suite, on workerd itself (the runtime
 * production uses). Starts the origin, Idem (the wrangler-built bundle),
 * the references (a hello-world Worker, a bare forwarding Worker), Idem's
 * floors, the peer (a Node proxy with @node-idempotency/core on Redis) and
 * a bare Node proxy, drives every workload against them with autocannon,
 * prints the results, and writes docs/benchmarks.md and docs/benchmarks.svg
 * from the same run.
 *
 * The machine is shared, so subjects are measured interleaved in rounds
 * (A, B, C, A, B, C, …): other load falls on all of them alike, and every
 * ratio is taken between measurements of the same round, then the median
 * over rounds is reported. Each measurement is preceded by a warm-up as
 * long as itself. The load average is recorded with every round.
 *
 * `npm run bench -- --keyspace` compares Idem's sharded (default) and
 * per-key keyspaces instead (its own section of docs/benchmarks.md, and
 * docs/benchmarks-keyspace.svg).
 *
 * Options: `--duration=3` seconds per measurement (and per warm-up),
 * `--rounds=3`, `--connections=32`, `--only=fresh,replay` (run some
 * workloads, print, write nothing).
 */
import { parseArgs } from "node:util";
import { buildBundle } from "../harness/bundled-worker.ts";
import { startRedis } from "./redis.ts";
import { currentLoad, describeMachine, type Group, type Pass, printResults, type Row, writeReport } from "./report.ts";
import { type Service, startNodeService } from "./services.ts";
import { type SubjectId, startSubject } from "./subjects.ts";
import { type LoadOptions, prepare, type ScenarioId } from "./workloads.ts";

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "3" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "32" },
    keyspace: { type: "boolean", default: false },
    only: { type: "string" },
  },
});
const rounds = Number(args.rounds);
const loaded: LoadOptions = { connections: Number(args.connections), durationSeconds: Number(args.duration) };
/** One request at a time: what each subject adds to a request when nothing queues. */
const unloaded: LoadOptions = { connections: 1, durationSeconds: Number(args.duration) };

const NODE_PEERS: SubjectId[] = ["bare-proxy", "peer"];
const MAIN_PASSES: Pass[] = [
  {
    latencyMs: 0,
    load: loaded,
    groups: [
      { scenario: "no-key", subjects: ["origin", "hello", "bare-worker", "idem", ...NODE_PEERS] },
      { scenario: "fresh", subjects: ["bare-worker", "floor-fresh", "idem", ...NODE_PEERS] },
      { scenario: "replay", subjects: ["hello", "floor-replay", "idem", ...NODE_PEERS] },
      { scenario: "hot-key", subjects: ["hello", "floor-replay", "idem", ...NODE_PEERS] },
      { scenario: "mixed", subjects: ["bare-worker", "floor-fresh", "idem", ...NODE_PEERS] },
    ],
  },
  {
    latencyMs: 20,
    load: unloaded,
    groups: [
      { scenario: "no-key", subjects: ["origin", "bare-worker", "idem", ...NODE_PEERS] },
      { scenario: "fresh", subjects: ["floor-fresh", "idem", "peer"] },
      { scenario: "replay", subjects: ["floor-replay", "idem", "peer"] },
    ],
  },
];
const KEYSPACE_PASSES: Pass[] = [
  {
    latencyMs: 0,
    load: loaded,
    groups: (["fresh", "replay", "hot-key", "mixed"] as ScenarioId[]).map((scenario) => ({ scenario, subjects: ["idem", "idem-per-key"] })),
  },
];

const only = args.only?.split(",") as ScenarioId[] | undefined;
const passes = (args.keyspace ? KEYSPACE_PASSES : MAIN_PASSES).map((pass) => ({
  ...pass,
  groups: pass.groups.filter((g) => !only || only.includes(g.scenario)),
}));
const startedAt = Date.now();
const loadBefore = currentLoad();

console.log("Building the Worker bundle (wrangler deploy --dry-run) …");
const bundle = buildBundle("wrangler.toml", ".wrangler/bench");
const needsPeer = passes.some((pass) => pass.groups.some((g) => g.subjects.includes("peer")));
const redis = needsPeer ? await startRedis() : undefined;
const rows: Row[] = [];
const roundLoads: number[] = [];

async function runGroup(pass: Pass, group: Group, origin: Service, services: Map<SubjectId, Service | undefined>): Promise<void> {
  const { connections } = pass.load;
  const prepared = await Promise.all(
    group.subjects.map(async (subject) => {
      const service = services.get(subject) ?? origin;
      const prefix = `${subject}-${pass.latencyMs}-${connections}-${group.scenario}-${startedAt}`;
      const row: Row = { latencyMs: pass.latencyMs, connections, scenario: group.scenario, subject, rounds: [] };
      rows.push(row);
      return { subject, service, row, workload: await prepare(group.scenario, service.url, origin.url, prefix, connections) };
    }),
  );
  for (let round = 1; round <= rounds; round++) {
    roundLoads.push(currentLoad()[0] ?? 0);
    for (const { subject, service, row, workload } of prepared) {
      process.stdout.write(`  ${pass.latencyMs} ms origin · ${connections} conn · ${group.scenario} · round ${round} · ${subject} … `);
      const m = await workload.measure(pass.load, () => service.cpuSeconds());
      row.rounds.push(m);
      console.log(
        `${Math.round(m.requestsPerSecond)} req/s, p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms, ${m.cpuMsPerRequest.toFixed(2)} CPU ms/req, executed ${m.originExecutions} (allowed ${m.expectedExecutions})`,
      );
    }
  }
}

try {
  for (const pass of passes) {
    if (pass.groups.length === 0) continue;
    const origin = await startNodeService("bench/origin.ts", [String(pass.latencyMs)]);
    const services = new Map<SubjectId, Service | undefined>();
    try {
      for (const id of new Set(pass.groups.flatMap((g) => g.subjects))) {
        services.set(id, await startSubject(id, { originUrl: origin.url, bundle, redis }));
      }
      for (const group of pass.groups) await runGroup(pass, group, origin, services);
    } finally {
      for (const service of services.values()) await service?.stop();
      await origin.stop();
    }
  }
} finally {
  await redis?.stop();
}

const facts = {
  rows,
  passes,
  load: loaded,
  rounds,
  command: `npm run bench${args.keyspace ? " -- --keyspace" : ""}`,
  seconds: Math.round((Date.now() - startedAt) / 1000),
  machine: describeMachine(),
  loadBefore,
  loadAfter: currentLoad(),
  roundLoads,
};
printResults(facts);
if (!only) {
  const files = args.keyspace ? writeReport("keyspace", "docs/benchmarks-keyspace.svg", facts) : writeReport("results", "docs/benchmarks.svg", facts);
  console.log(`Wrote ${files.join(", ")}`);
}
console.log(`Done in ${Math.round((Date.now() - startedAt) / 1000)} s.`);
