/**
 * What a benchmark run reports: the tables on stdout, and the generated
 * sections of docs/benchmarks.md plus the chart. Only the text between the
 * `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->` markers is
 * rewritten, so the hand-written explanations around it stay.
 *
 * Every figure is the median over the run's rounds; every ratio is taken
 * within a round (both subjects measured under the same load on the
 * machine), and its median reported.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { type ChartPanel, renderChart } from "./chart.ts";
import { RUNTIME, SUBJECT_NAMES, type SubjectId } from "./subjects.ts";
import { exactlyOnce, type LoadOptions, type Measurement, SCENARIOS, type ScenarioId } from "./workloads.ts";

/** Subjects measured together, interleaved round by round, on one workload. */
export interface Group {
  scenario: ScenarioId;
  subjects: SubjectId[];
}

/** One origin latency and load, and the groups run under it. */
export interface Pass {
  latencyMs: number;
  load: LoadOptions;
  groups: Group[];
}

/** One subject on one workload: a measurement per round. */
export interface Row {
  latencyMs: number;
  connections: number;
  subject: SubjectId;
  scenario: ScenarioId;
  rounds: Measurement[];
}

export interface RunFacts {
  rows: Row[];
  passes: Pass[];
  load: LoadOptions;
  rounds: number;
  command: string;
  seconds: number;
  machine: string;
  loadBefore: number[];
  loadAfter: number[];
  /** The 1-minute load average when each round started. */
  roundLoads: number[];
}

/**
 * What Idem's figures on a workload are read against: the workerd reference
 * any Worker would pay, and the floor of the path (the least it can cost),
 * with the ratios issue 14 set as targets.
 */
export const COMPARISONS: Record<ScenarioId, { reference: SubjectId; floor?: SubjectId; targets: { reference?: number; floor?: number } }> = {
  "no-key": { reference: "bare-worker", targets: { reference: 0.9 } },
  fresh: { reference: "bare-worker", floor: "floor-fresh", targets: { reference: 0.5, floor: 0.8 } },
  replay: { reference: "hello", floor: "floor-replay", targets: { reference: 0.35, floor: 0.8 } },
  "hot-key": { reference: "hello", floor: "floor-replay", targets: {} },
  mixed: { reference: "bare-worker", floor: "floor-fresh", targets: {} },
};

/** The bar colours of the chart: Idem orange, its floors light orange, workerd references grey, Node subjects green. */
const COLOURS: Record<SubjectId, string> = {
  idem: "#f38020",
  "idem-per-key": "#b35c0f",
  "floor-replay": "#f8bf8a",
  "floor-replay-identified": "#f8bf8a",
  "floor-fresh": "#f8bf8a",
  "floor-fresh-identified": "#f8bf8a",
  hello: "#5b6b7f",
  "bare-worker": "#9aa6b5",
  origin: "#1f2328",
  "bare-proxy": "#8fd1b0",
  peer: "#2f9e6b",
};

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(`node_modules/${name}/package.json`, "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

function redisVersion(): string {
  try {
    return /v=(\S+)/.exec(execFileSync("redis-server", ["--version"], { encoding: "utf8" }))?.[1] ?? "?";
  } catch {
    return "not installed";
  }
}

/**
 * The machine and software the numbers come from.
 *
 * @example
 * describeMachine() // "2 cores (Intel Xeon …), 24 GiB, Linux; Node v24.21.0, workerd 1.2026…, …"
 */
export function describeMachine(): string {
  const list = cpus();
  return [
    `${list.length} cores (${list[0]?.model.trim() ?? "unknown CPU"}), ${Math.round(totalmem() / 2 ** 30)} GiB, ${process.platform}`,
    `Node ${process.version}, workerd ${packageVersion("workerd")}, autocannon ${packageVersion("autocannon")}`,
    `redis-server ${redisVersion()}, @node-idempotency/core ${packageVersion("@node-idempotency/core")}`,
  ].join("; ");
}

/**
 * Load average now (1, 5, 15 min), rounded: other work on the machine skews the numbers.
 *
 * @example
 * currentLoad() // [1.7, 1.7, 2.38]
 */
export function currentLoad(): number[] {
  return loadavg().map((n) => Math.round(n * 100) / 100);
}

/**
 * The median of some numbers (NaN for none).
 *
 * @example
 * median([3, 1, 2]) // 2
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const of = (row: Row, pick: (m: Measurement) => number) => median(row.rounds.map(pick));

function find(rows: Row[], like: Row, subject: SubjectId | undefined): Row | undefined {
  return rows.find(
    (r) => r.latencyMs === like.latencyMs && r.connections === like.connections && r.scenario === like.scenario && r.subject === subject,
  );
}

/** The median over rounds of `row`'s figure divided by `versus`'s in the same round. */
function roundRatio(row: Row, versus: Row | undefined, pick: (m: Measurement) => number = (m) => m.requestsPerSecond): number | undefined {
  if (!versus) return undefined;
  const ratios = row.rounds.flatMap((m, i) => {
    const other = versus.rounds[i];
    return other && pick(other) > 0 ? [pick(m) / pick(other)] : [];
  });
  return ratios.length > 0 ? median(ratios) : undefined;
}

/** The median over rounds of `row`'s figure minus `versus`'s in the same round. */
function roundDifference(row: Row, versus: Row | undefined, pick: (m: Measurement) => number): number | undefined {
  if (!versus) return undefined;
  const differences = row.rounds.flatMap((m, i) => {
    const other = versus.rounds[i];
    return other ? [pick(m) - pick(other)] : [];
  });
  return differences.length > 0 ? median(differences) : undefined;
}

/** The subject a row is read against: Idem and its floors against the workerd reference, the peer against the bare Node proxy. */
function referenceOf(row: Row): SubjectId | undefined {
  if (row.subject === "peer") return "bare-proxy";
  if (RUNTIME[row.subject] === "node" || row.subject === "hello" || row.subject === "bare-worker") return undefined;
  return COMPARISONS[row.scenario].reference;
}

const thousands = (n: number) => Math.round(n).toLocaleString("en-US");
const times = (n: number | undefined) => (n === undefined ? "" : `${n.toFixed(2)}×`);
const milliseconds = (n: number | undefined) => (n === undefined ? "" : `${n >= 0 ? "+" : ""}${n.toFixed(2)}`);

/** Idem and the peer are checked for exactly-once; references and floors do not claim it. */
function checksOnce(subject: SubjectId): boolean {
  return subject === "idem" || subject === "idem-per-key" || subject === "peer";
}

function executions(row: Row): string {
  const executed = row.rounds.reduce((sum, m) => sum + m.originExecutions, 0);
  const allowed = row.rounds.reduce((sum, m) => sum + m.expectedExecutions, 0);
  if (!checksOnce(row.subject)) return thousands(executed);
  return `${thousands(executed)} / ${thousands(allowed)} ${row.rounds.every((m) => exactlyOnce(m, row.connections)) ? "✓" : "✗"}`;
}

function range(row: Row): string {
  const values = row.rounds.map((m) => m.requestsPerSecond);
  return `${thousands(Math.min(...values))}–${thousands(Math.max(...values))}`;
}

function passRows(facts: RunFacts, pass: Pass): Row[] {
  return facts.rows.filter((r) => r.latencyMs === pass.latencyMs && r.connections === pass.load.connections);
}

function loadedTable(facts: RunFacts, pass: Pass): string {
  const rows = passRows(facts, pass);
  const lines = [
    "| workload | subject | req/s | range over rounds | p50 ms | p99 ms | CPU ms/req | non-2xx + errors | origin executions (/ allowed by exactly-once) | × reference | × floor |",
    "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  for (const r of rows) {
    const reference = referenceOf(r);
    const floor = r.subject === "idem" || r.subject === "idem-per-key" ? COMPARISONS[r.scenario].floor : undefined;
    lines.push(
      `| ${SCENARIOS[r.scenario].title} | ${SUBJECT_NAMES[r.subject]} | ${thousands(of(r, (m) => m.requestsPerSecond))} | ${range(r)} | ${of(r, (m) => m.p50Ms)} | ${of(r, (m) => m.p99Ms)} | ${of(r, (m) => m.cpuMsPerRequest).toFixed(2)} | ${r.rounds.reduce((n, m) => n + m.non2xx + m.errors, 0)} | ${executions(r)} | ${reference ? `${times(roundRatio(r, find(rows, r, reference)))} ${shortName(reference)}` : ""} | ${floor ? times(roundRatio(r, find(rows, r, floor))) : ""} |`,
    );
  }
  return lines.join("\n");
}

function shortName(id: SubjectId): string {
  return { "bare-worker": "forwarder", hello: "hello-world", "bare-proxy": "bare proxy" }[id as string] ?? id;
}

function verdict(value: number | undefined, target: number | undefined): string {
  if (value === undefined) return "";
  if (target === undefined) return times(value);
  return `${times(value)} (target ≥ ${target}× ${value >= target ? "✓" : "✗"})`;
}

/** Idem against its reference and floor, next to the peer against the bare Node proxy: the run's headline. */
function summaryTable(facts: RunFacts, pass: Pass): string {
  const rows = passRows(facts, pass);
  const lines = [
    "| workload | Idem ÷ workerd reference | Idem ÷ floor | Idem's CPU ms/req over the reference | peer ÷ bare Node proxy | peer's CPU ms/req over the bare proxy | exactly-once (Idem, peer) |",
    "|---|--:|--:|--:|--:|--:|--:|",
  ];
  for (const group of pass.groups) {
    const idem = rows.find((r) => r.scenario === group.scenario && r.subject === "idem");
    const peer = rows.find((r) => r.scenario === group.scenario && r.subject === "peer");
    if (!idem) continue;
    const { reference, floor, targets } = COMPARISONS[group.scenario];
    const cpu = (m: Measurement) => m.cpuMsPerRequest;
    const once = [idem, peer].map((r) => (r ? (r.rounds.every((m) => exactlyOnce(m, r.connections)) ? "✓" : "✗") : "–")).join(" ");
    lines.push(
      `| ${SCENARIOS[group.scenario].title} | ${verdict(roundRatio(idem, find(rows, idem, reference)), targets.reference)} ${shortName(reference)} | ${floor ? verdict(roundRatio(idem, find(rows, idem, floor)), targets.floor) : "(the forwarder is the floor)"} | ${milliseconds(roundDifference(idem, find(rows, idem, reference), cpu))} | ${peer ? times(roundRatio(peer, find(rows, peer, "bare-proxy"))) : ""} | ${peer ? milliseconds(roundDifference(peer, find(rows, peer, "bare-proxy"), cpu)) : ""} | ${once} |`,
    );
  }
  return lines.join("\n");
}

function unloadedTable(facts: RunFacts, pass: Pass): string {
  const rows = passRows(facts, pass);
  const origin = rows.find((r) => r.subject === "origin");
  const originMean = origin ? of(origin, (m) => m.meanMs) : undefined;
  const lines = [
    "| workload | subject | mean ms | p50 ms | p99 ms | added to the origin's mean | added over the reference | origin executions (/ allowed by exactly-once) |",
    "|---|---|--:|--:|--:|--:|--:|--:|",
  ];
  for (const r of rows) {
    const mean = of(r, (m) => m.meanMs);
    const added = originMean !== undefined && r.subject !== "origin" ? `${(mean - originMean).toFixed(1)} ms` : "";
    const reference = r.subject === "peer" ? "bare-proxy" : r.subject === "idem" && r.scenario === "no-key" ? "bare-worker" : undefined;
    const over = reference ? roundDifference(r, find(rows, r, reference), (m) => m.meanMs) : undefined;
    lines.push(
      `| ${SCENARIOS[r.scenario].title} | ${SUBJECT_NAMES[r.subject]} | ${mean.toFixed(1)} | ${of(r, (m) => m.p50Ms)} | ${of(r, (m) => m.p99Ms)} | ${added} | ${over === undefined ? "" : `${over.toFixed(1)} ms over ${shortName(reference as SubjectId)}`} | ${executions(r)} |`,
    );
  }
  return lines.join("\n");
}

function passTitle(pass: Pass): string {
  return pass.load.connections === 1
    ? `One request at a time (1 connection), origin latency ${pass.latencyMs} ms`
    : `${pass.load.connections} connections, origin latency ${pass.latencyMs} ms`;
}

/**
 * Prints the run's results.
 *
 * @example
 * printResults(facts);
 */
export function printResults(facts: RunFacts): void {
  for (const pass of facts.passes) {
    if (pass.groups.length === 0) continue;
    console.log(`\n${passTitle(pass)}\n`);
    console.log(pass.load.connections === 1 ? unloadedTable(facts, pass) : `${summaryTable(facts, pass)}\n\n${loadedTable(facts, pass)}`);
  }
}

function panels(facts: RunFacts): ChartPanel[] {
  return facts.passes.flatMap((pass) => {
    const rows = passRows(facts, pass);
    const latency = pass.load.connections === 1;
    return pass.groups.map((group) => ({
      title: latency
        ? `${SCENARIOS[group.scenario].title}, one request at a time, origin ${pass.latencyMs} ms: mean latency (lower is better)`
        : `${SCENARIOS[group.scenario].title}, ${pass.load.connections} connections, origin ${pass.latencyMs} ms: requests/s (higher is better)`,
      metric: latency ? ("latency" as const) : ("throughput" as const),
      bars: group.subjects.flatMap((subject) => {
        const r = rows.find((row) => row.scenario === group.scenario && row.subject === subject);
        return r
          ? [
              {
                label: SUBJECT_NAMES[subject],
                colour: COLOURS[subject],
                requestsPerSecond: of(r, (m) => m.requestsPerSecond),
                meanMs: of(r, (m) => m.meanMs),
                p50Ms: of(r, (m) => m.p50Ms),
                p99Ms: of(r, (m) => m.p99Ms),
              },
            ]
          : [];
      }),
    }));
  });
}

/**
 * Replaces what lies between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->` in `file`,
 * then formats the file as the linter (Biome) wants it, so a run never turns `npm run lint` red.
 *
 * @example
 * replaceSection("docs/benchmarks.md", "results", table);
 */
export function replaceSection(file: string, name: string, content: string): void {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to === -1) throw new Error(`${file} lacks the markers ${start} … ${end}`);
  writeFileSync(file, `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`);
  execFileSync("npx", ["biome", "format", "--write", file], { stdio: "ignore" });
}

/**
 * Writes the run into its section of docs/benchmarks.md and its chart.
 *
 * @example
 * writeReport("results", "docs/benchmarks.svg", facts);
 */
export function writeReport(section: "results" | "keyspace", chartFile: string, facts: RunFacts): string[] {
  const heading =
    section === "results"
      ? "Idem on workerd: against its floors, the workerd references, and the peer on Node"
      : "Idem: sharded (default) vs per-key keyspace";
  writeFileSync(chartFile, renderChart(heading, panels(facts)));
  const tables = facts.passes
    .filter((pass) => pass.groups.length > 0)
    .flatMap((pass) =>
      pass.load.connections === 1
        ? [`**${passTitle(pass)}**`, "", unloadedTable(facts, pass), ""]
        : [`**${passTitle(pass)}**`, "", summaryTable(facts, pass), "", loadedTable(facts, pass), ""],
    );
  const content = [
    `Command: \`${facts.command}\` (${facts.seconds} s, finished ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC).`,
    "",
    `Machine: ${facts.machine}.`,
    "",
    `Load: ${facts.rounds} rounds; in each, every subject warmed up for ${facts.load.durationSeconds} s, then measured for ${facts.load.durationSeconds} s. Load average before / after the run: ${facts.loadBefore.join(", ")} / ${facts.loadAfter.join(", ")}; 1-minute load average at the start of each round: ${facts.roundLoads.map((n) => n.toFixed(1)).join(", ")}.`,
    "",
    `![${heading}](${chartFile.replace(/^docs\//, "")})`,
    "",
    ...tables,
  ].join("\n");
  replaceSection("docs/benchmarks.md", section, content);
  return ["docs/benchmarks.md", chartFile];
}
