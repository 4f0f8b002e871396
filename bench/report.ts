/**
 * What a benchmark run reports: the table on stdout, and the generated
 * sections of docs/benchmarks.md plus the chart. Only the text between the
 * `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->` markers is
 * rewritten, so the hand-written explanations around it stay.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { type ChartPanel, renderChart } from "./chart.ts";
import { type LoadOptions, type Measurement, SCENARIOS, type ScenarioId } from "./workloads.ts";

export type SubjectId = "origin" | "bare-worker" | "idem" | "peer" | "idem-per-key";

export const SUBJECT_NAMES: Record<SubjectId, string> = {
  origin: "origin alone",
  "bare-worker": "bare Worker (forwards only, same runtime)",
  idem: "Idem (default: sharded keyspace)",
  peer: "peer (Node + @node-idempotency on Redis)",
  "idem-per-key": "Idem, per-key keyspace",
};

/** Column labels for the subjects others are compared with. */
const SHORT_NAMES: Record<SubjectId, string> = {
  origin: "origin",
  "bare-worker": "bare Worker",
  idem: "Idem",
  peer: "peer",
  "idem-per-key": "per-key",
};

export interface Row extends Measurement {
  latencyMs: number;
  connections: number;
  subject: SubjectId;
  scenario: ScenarioId;
}

export interface RunFacts {
  rows: Row[];
  load: LoadOptions;
  command: string;
  seconds: number;
  machine: string;
  loadBefore: number[];
  loadAfter: number[];
}

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
    `Node ${process.version}, workerd ${packageVersion("workerd")} (Miniflare ${packageVersion("miniflare")}), autocannon ${packageVersion("autocannon")}`,
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

function find(rows: Row[], like: Row, subject: SubjectId, scenario: ScenarioId): Row | undefined {
  return rows.find((r) => r.latencyMs === like.latencyMs && r.connections === like.connections && r.subject === subject && r.scenario === scenario);
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || b === 0 ? "–" : `${(a / b).toFixed(2)}×`;
}

const thousands = (n: number) => Math.round(n).toLocaleString("en-US");

/** The subject every other one is compared with, besides the origin: the peer, or per-key Idem in the keyspace run. */
function comparisonSubject(rows: Row[]): SubjectId {
  return rows.some((r) => r.subject === "peer") ? "peer" : "idem-per-key";
}

/**
 * Prints the run's results as a table.
 *
 * @example
 * printTable(rows);
 */
export function printTable(rows: Row[]): void {
  const versus = comparisonSubject(rows);
  console.table(
    rows.map((r) => {
      const origin = find(rows, r, "origin", "origin");
      const other = find(rows, r, versus, r.scenario);
      return {
        origin: `${r.latencyMs} ms`,
        conns: r.connections,
        subject: r.subject,
        workload: SCENARIOS[r.scenario].title,
        "req/s": Math.round(r.requestsPerSecond),
        "p50 ms": r.p50Ms,
        "p99 ms": r.p99Ms,
        "mean ms": Number(r.meanMs.toFixed(1)),
        "non-2xx": r.non2xx,
        errors: r.errors,
        executed: r.originExecutions,
        "CPU ms/req": Number(r.cpuMsPerRequest.toFixed(2)),
        "× origin": ratio(r.requestsPerSecond, origin?.requestsPerSecond),
        [`× ${SHORT_NAMES[versus]}`]: compared(r, versus) ? ratio(r.requestsPerSecond, other?.requestsPerSecond) : "",
      };
    }),
  );
}

function compared(r: Row, versus: SubjectId): boolean {
  return r.subject === "idem" || (r.subject !== versus && r.subject.startsWith("idem"));
}

function loadedTable(rows: Row[], like: Row): string {
  const versus = comparisonSubject(rows);
  const origin = find(rows, like, "origin", "origin");
  const short = SHORT_NAMES[versus];
  const lines = [
    `| workload | subject | req/s | p50 ms | p99 ms | non-2xx | errors | origin executions | CPU ms/req | req/s × origin | req/s × ${short} | p99 × ${short} |`,
    "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  for (const r of rows.filter((row) => row.latencyMs === like.latencyMs && row.connections === like.connections)) {
    const other = find(rows, r, versus, r.scenario);
    const vs = compared(r, versus);
    lines.push(
      `| ${SCENARIOS[r.scenario].title} | ${SUBJECT_NAMES[r.subject]} | ${thousands(r.requestsPerSecond)} | ${r.p50Ms} | ${r.p99Ms} | ${r.non2xx} | ${r.errors} | ${thousands(r.originExecutions)} of ${thousands(r.completed)} | ${r.cpuMsPerRequest.toFixed(2)} | ${ratio(r.requestsPerSecond, origin?.requestsPerSecond)} | ${vs ? ratio(r.requestsPerSecond, other?.requestsPerSecond) : ""} | ${vs ? ratio(r.p99Ms, other?.p99Ms) : ""} |`,
    );
  }
  return lines.join("\n");
}

function unloadedTable(rows: Row[], like: Row): string {
  const origin = find(rows, like, "origin", "origin");
  const lines = [
    "| workload | subject | mean ms | p50 ms | p99 ms | added to the origin's mean | origin executions |",
    "|---|---|--:|--:|--:|--:|--:|",
  ];
  for (const r of rows.filter((row) => row.latencyMs === like.latencyMs && row.connections === like.connections)) {
    const added = origin && r.subject !== "origin" ? `${(r.meanMs - origin.meanMs).toFixed(1)} ms` : "";
    lines.push(
      `| ${SCENARIOS[r.scenario].title} | ${SUBJECT_NAMES[r.subject]} | ${r.meanMs.toFixed(1)} | ${r.p50Ms} | ${r.p99Ms} | ${added} | ${thousands(r.originExecutions)} of ${thousands(r.completed)} |`,
    );
  }
  return lines.join("\n");
}

/** One representative row per (origin latency, connections) group, in run order. */
function groups(rows: Row[]): Row[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const key = `${r.latencyMs}/${r.connections}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function panels(rows: Row[], subjects: SubjectId[], connections: number): ChartPanel[] {
  return groups(rows).map((like) => {
    const inGroup = rows.filter((r) => r.latencyMs === like.latencyMs && r.connections === like.connections && r.subject !== "origin");
    const scenarios = [...new Set(inGroup.map((r) => r.scenario))];
    const latency = like.connections !== connections;
    const origin = find(rows, like, "origin", "origin");
    return {
      title: latency
        ? `One request at a time, origin answers in ${like.latencyMs} ms: mean latency (lower is better)`
        : `${like.connections} connections, origin answers in ${like.latencyMs} ms: requests/s (higher is better)`,
      metric: latency ? "latency" : "throughput",
      reference: { label: "origin alone", value: (latency ? origin?.meanMs : origin?.requestsPerSecond) ?? 0 },
      rows: scenarios.map((scenario) => ({
        label: SCENARIOS[scenario].title,
        bars: subjects.flatMap((subject) => {
          const r = find(rows, like, subject, scenario);
          return r
            ? [{ subject: SUBJECT_NAMES[subject], requestsPerSecond: r.requestsPerSecond, meanMs: r.meanMs, p50Ms: r.p50Ms, p99Ms: r.p99Ms }]
            : [];
        }),
      })),
    };
  });
}

/**
 * Replaces what lies between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->` in `file`.
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
}

/**
 * Writes the run into its section of docs/benchmarks.md and its chart.
 *
 * @example
 * writeReport("results", "docs/benchmarks.svg", facts, ["idem", "peer"]);
 */
export function writeReport(section: "results" | "keyspace", chartFile: string, facts: RunFacts, subjects: SubjectId[]): string[] {
  const heading = section === "results" ? "Idem vs the peer vs the origin alone" : "Idem: sharded (default) vs per-key keyspace";
  const chartPanels = panels(facts.rows, subjects, facts.load.connections);
  writeFileSync(
    chartFile,
    renderChart(
      heading,
      subjects.map((s) => SUBJECT_NAMES[s]),
      chartPanels,
    ),
  );
  const tables = groups(facts.rows).flatMap((like) =>
    like.connections === facts.load.connections
      ? [`**${like.connections} connections, origin latency ${like.latencyMs} ms**`, "", loadedTable(facts.rows, like), ""]
      : [`**One request at a time (1 connection), origin latency ${like.latencyMs} ms**`, "", unloadedTable(facts.rows, like), ""],
  );
  const content = [
    `Command: \`${facts.command}\` (${facts.seconds} s, ${new Date().toISOString().slice(0, 10)}).`,
    "",
    `Machine: ${facts.machine}.`,
    "",
    `Load: ${facts.load.connections} connections, ${facts.load.durationSeconds} s measured per workload and subject after a 1 s warm-up. Load average before / after: ${facts.loadBefore.join(", ")} / ${facts.loadAfter.join(", ")}.`,
    "",
    `![${heading}](${chartFile.replace(/^docs\//, "")})`,
    "",
    ...tables,
  ].join("\n");
  replaceSection("docs/benchmarks.md", section, content);
  return ["docs/benchmarks.md", chartFile];
}
