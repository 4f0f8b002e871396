/**
 * `npm run bench:profile -- <scenario>`: a V8 CPU profile of the Worker and
 * its Durable Objects (the workerd isolate) while one workload runs against
 * Idem. Writes `.wrangler/profile/<scenario>.cpuprofile` (open it in Chrome
 * DevTools or speedscope) and prints where the time went: the functions
 * with the most self time, and time per source module of the bundle.
 *
 * Options: `--latency=0` (origin latency, ms), `--duration=8`,
 * `--connections=32`, `--keyspace=sharded|per-key`.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { buildBundle } from "../harness/bundled-worker.ts";
import { freePort } from "../harness/free-port.ts";
import { startNodeService } from "./services.ts";
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

/** A minimal Chrome DevTools Protocol client over the inspector's WebSocket. */
async function connect(wsUrl: string): Promise<{ send(method: string, params?: object): Promise<unknown>; close(): void }> {
  const socket = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  return {
    send(method, params = {}) {
      const id = nextId++;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve) => pending.set(id, resolve));
    },
    close: () => socket.close(),
  };
}

/** Where a call frame's code lives: the bundle's `// src/…` module, or the runtime. */
function moduleOf(frame: ProfileNode["callFrame"], moduleStarts: { line: number; name: string }[]): string {
  if (!frame.url.endsWith("index.js")) return frame.url === "" ? `(${frame.functionName || "runtime"})` : frame.url;
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
    keyspace: { type: "string", default: "sharded" },
  },
});
const scenario = (positionals[0] ?? "fresh") as ScenarioId;
if (!(scenario in SCENARIOS) || scenario === "origin") throw new Error(`unknown scenario ${scenario}; one of ${Object.keys(SCENARIOS).join(", ")}`);

// The deployed bundle is minified; profile the same code with its names kept, so the report can name functions and modules.
const bundle = buildBundle("wrangler.toml", ".wrangler/profile", ["--minify=false"]);
const origin = await startNodeService("bench/origin.ts", [args.latency]);
const inspectorPort = await freePort();
const idem = await startNodeService("bench/idem-worker.ts", [bundle, origin.url, args.keyspace, String(inspectorPort)]);
try {
  const prepared = await prepare(scenario, idem.url, `profile-${scenario}-${Date.now()}`, Number(args.connections));
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as { id: string; webSocketDebuggerUrl?: string }[];
  const target = targets.find((t) => t.id.endsWith(":idem")) ?? targets[0];
  if (!target?.webSocketDebuggerUrl) throw new Error(`no inspector target: ${JSON.stringify(targets)}`);
  const cdp = await connect(target.webSocketDebuggerUrl);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  const result = await prepared.run(Number(args.duration));
  const { profile } = (await cdp.send("Profiler.stop")) as { profile: CpuProfile };
  cdp.close();
  const file = `.wrangler/profile/${scenario}.cpuprofile`;
  writeFileSync(file, JSON.stringify(profile));
  console.log(
    `${SCENARIOS[scenario].title}: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ${result.requests.total} requests; profile in ${file}`,
  );
  const { readFileSync } = await import("node:fs");
  summarize(profile, readFileSync(bundle, "utf8"));
} finally {
  await idem.stop();
  await origin.stop();
}
