/**
 * `npm run bench:profile -- <scenario>`: a V8 CPU profile of the Worker and
 * its Durable Objects (the workerd isolate) while one workload runs against
 * Idem on workerd itself (bench/workerd.ts), through workerd's inspector. Writes `.wrangler/profile/<scenario>.cpuprofile` (open it in Chrome
 * DevTools or speedscope) and prints where the time went: the functions
 * with the most self time, and time per source module of the bundle.
 *
 * Options: `--latency=0` (origin latency, ms), `--duration=8`,
 * `--connections=32`, `--subject=idem` (or `idem-per-key`, a floor, a
 * reference: any Worker subject of bench/subjects.ts).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { buildBundle } from "../harness/bundled-worker.ts";
import { freePort } from "../harness/free-port.ts";
import { inspect } from "./inspector.ts";
import { startNodeService } from "./services.ts";
import { type SubjectId, startSubject } from "./subjects.ts";
import { prepare, SCENARIOS, type ScenarioId } from "./workloads.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a call frame's code lives: the bundle's `// src/…` module, or the runtime. */
function moduleOf(frame: ProfileNode["callFrame"], moduleStarts: { line: number; name: string }[]): string {
  if (!frame.url.endsWith("worker.js")) return frame.url === "" ? `(${frame.functionName || "runtime"})` : frame.url;
  let name = "(bundle)";
  for (const start of moduleStarts) if (start.line <= frame.lineNumber) name = start.name;
  return name;
}

function summarize(profile: CpuProfile, bundleText: string): void {
  const moduleStarts = bundleText
    .split("\n")
    .flatMap((line, index) => (/^\/\/ (src|node_modules)\//.test(line) ? [{ line: index, name: line.slice(3) }] : []));
  const selfMs = new Map<number, number>();
  profile.samples.forEach((nodeId, i) => {
    selfMs.set(nodeId, (selfMs.get(nodeId) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const total = [...selfMs.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  for (const node of profile.nodes) {
    const ms = selfMs.get(node.id) ?? 0;
    const module = moduleOf(node.callFrame, moduleStarts);
    const fn = `${node.callFrame.functionName || "(anonymous)"}  [${module}]`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
    byModule.set(module, (byModule.get(module) ?? 0) + ms);
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, ms]) => ({ "self ms": Math.round(ms), share: `${((100 * ms) / total).toFixed(1)}%`, name }));
  console.log(`\nSampled ${Math.round(total)} ms of isolate time.`);
  console.log("\nBy function (self time):");
  console.table(top(byFunction, 30));
  console.log("By module:");
  console.table(top(byModule, 20));
}

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    latency: { type: "string", default: "0" },
    duration: { type: "string", default: "8" },
    connections: { type: "string", default: "32" },
    subject: { type: "string", default: "idem" },
  },
});
const scenario = (positionals[0] ?? "fresh") as ScenarioId;
if (!(scenario in SCENARIOS)) throw new Error(`unknown scenario ${scenario}; one of ${Object.keys(SCENARIOS).join(", ")}`);

// The deployed bundle is minified; profile the same code with its names kept, so the report can name functions and modules.
const bundle = buildBundle("wrangler.toml", ".wrangler/profile", ["--minify=false"]);
const origin = await startNodeService("bench/origin.ts", [args.latency]);
const inspectorPort = await freePort();
const subject = await startSubject(args.subject as SubjectId, { originUrl: origin.url, bundle, workerd: { inspectorPort } });
if (!subject) throw new Error(`${args.subject} is not a Worker`);
try {
  const load = { connections: Number(args.connections), durationSeconds: Number(args.duration) };
  const prepared = await prepare(scenario, subject.url, origin.url, `profile-${scenario}-${Date.now()}`, load.connections);
  const cdp = await inspect(inspectorPort);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  // Profiled after the warm-up, over the measured run only.
  const m = await prepared.measure(
    load,
    () => subject.cpuSeconds(),
    () => cdp.send("Profiler.start"),
  );
  const { profile } = (await cdp.send("Profiler.stop")) as { profile: CpuProfile };
  cdp.close();
  const file = `.wrangler/profile/${scenario}.cpuprofile`;
  writeFileSync(file, JSON.stringify(profile));
  console.log(
    `${SCENARIOS[scenario].title} on ${args.subject}: ${Math.round(m.requestsPerSecond)} req/s, p50 ${m.p50Ms} ms, p99 ${m.p99Ms} ms, ${m.completed} requests, ${m.cpuMsPerRequest.toFixed(2)} CPU ms/req; profile in ${file}`,
  );
  summarize(profile, readFileSync(bundle, "utf8"));
} finally {
  await subject.stop();
  await origin.stop();
}
