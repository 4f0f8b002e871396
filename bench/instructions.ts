/**
 * `npm run bench:instructions`: instructions workerd executes per request,
 * counted by valgrind's callgrind. Unlike requests/s on a shared 2-core
 * machine, the count does not move with load, so it is what the hot-path
 * commits quote as before/after. It still moves a little between runs of
 * one build (GC, the JIT, SQLite): over 3,000 counted requests a fresh key
 * measured 2.37–2.44 M in three runs, over 1,000 2.35–2.46 M in six, so
 * builds are compared side by side, on 3,000.
 *
 * Each case runs on workerd itself (bench/workerd.ts) under callgrind:
 * Idem's paths, and the references and floors they are read against.
 * Requests go one at a time (after a warm-up), and only the measured ones
 * are counted. Writes the `bench:instructions` section of docs/benchmarks.md.
 *
 * Options: `--warmup=3000`, `--requests=3000`, `--only=idem` (cases whose
 * name contains one of the comma-separated words; prints, writes nothing),
 * `--no-docs`.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildBundle } from "../harness/bundled-worker.ts";
import { ensureDebianTool } from "./debian.ts";
import { replaceSection } from "./report.ts";
import { startNodeService } from "./services.ts";
import { type SubjectId, startSubject } from "./subjects.ts";
import { BASE_HEADERS, BODY } from "./workloads.ts";

type Case = { name: string; subject: SubjectId; key: (prefix: string, i: number) => string | undefined };

const fresh = (prefix: string, i: number) => `${prefix}-${i}`;
const replay = (prefix: string, i: number) => `${prefix}-r${i % 50}`;
const CASES: Case[] = [
  { name: "hello-world Worker", subject: "hello", key: () => undefined },
  { name: "bare forwarding Worker", subject: "bare-worker", key: () => undefined },
  { name: "Idem, no key (pass-through)", subject: "idem", key: () => undefined },
  { name: "floor of a replay (1 RPC, 1 row read, 1 KB)", subject: "floor-replay", key: replay },
  { name: "floor of a replay with Idem's identity (body read, 4 SHA-256, fingerprint compared)", subject: "floor-replay-identified", key: replay },
  { name: "Idem, replay", subject: "idem", key: replay },
  { name: "floor of a fresh key (1 RPC, 1 read, 2 row writes, 1 fetch)", subject: "floor-fresh", key: fresh },
  {
    name: "floor of a fresh key with Idem's identity (body read, 4 SHA-256, fingerprint stored)",
    subject: "floor-fresh-identified",
    key: fresh,
  },
  { name: "Idem, fresh key (sharded keyspace)", subject: "idem", key: fresh },
  { name: "Idem, fresh key (per-key keyspace)", subject: "idem-per-key", key: fresh },
];

const { values: args } = parseArgs({
  options: {
    warmup: { type: "string", default: "3000" },
    requests: { type: "string", default: "3000" },
    only: { type: "string" },
    "no-docs": { type: "boolean", default: false },
  },
});
const warmup = Number(args.warmup);
const requests = Number(args.requests);
const only = args.only?.split(",");
const cases = CASES.filter((c) => !only || only.some((word) => c.name.toLowerCase().includes(word.toLowerCase())));

ensureDebianTool("valgrind", "valgrind");
const work = mkdtempSync(join(tmpdir(), "idem-callgrind-"));
// Counting starts off (--instr-atstart=no) and is switched on for the measured requests only.
const valgrind = [
  "valgrind",
  "--tool=callgrind",
  "--instr-atstart=no",
  `--vgdb-prefix=${work}/vgdb-pipe`,
  `--log-file=${work}/valgrind.%p.log`,
  `--callgrind-out-file=${work}/callgrind.%p.out`,
  "--smc-check=all-non-file",
];

function callgrindControl(pid: number, ...options: string[]): void {
  execFileSync("callgrind_control", [...options, String(pid)], { env: { ...process.env, TMPDIR: work }, stdio: "ignore" });
}

async function waitForDump(pid: number): Promise<string> {
  for (let attempt = 0; attempt < 120; attempt++) {
    const dump = readdirSync(work).find((f) => f.startsWith(`callgrind.${pid}.out.`));
    if (dump) return readFileSync(join(work, dump), "utf8");
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error("callgrind wrote no dump");
}

const bundle = buildBundle("wrangler.toml", ".wrangler/bench");
const origin = await startNodeService("bench/origin.ts", ["0"]);
const rows: { name: string; instructions: number }[] = [];
try {
  for (const c of cases) {
    const subject = await startSubject(c.subject, { originUrl: origin.url, bundle, workerd: { wrapper: valgrind } });
    if (!subject) throw new Error(`${c.subject} is not a Worker`);
    try {
      const prefix = `instr-${Date.now()}`;
      const send = async (key: string | undefined) => {
        const headers = { ...BASE_HEADERS, "accept-encoding": "identity", ...(key === undefined ? {} : { "idempotency-key": key }) };
        const response = await fetch(`${subject.url}/orders`, { method: "POST", body: BODY, headers });
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`${c.name}: status ${response.status}`);
      };
      // Fresh keys stay fresh (i keeps counting); replay keys repeat (i % 50), so the warm-up executes them.
      for (let i = 0; i < warmup; i++) await send(c.key(prefix, i));
      const pid = subject.pid;
      callgrindControl(pid, "-i", "on");
      for (let i = 0; i < requests; i++) await send(c.key(prefix, warmup + i));
      callgrindControl(pid, "-i", "off");
      callgrindControl(pid, "-d");
      const totals = /^totals: (\d+)/m.exec(await waitForDump(pid));
      rows.push({ name: c.name, instructions: Number(totals?.[1]) / requests });
      console.log(`${c.name}: ${((rows.at(-1)?.instructions ?? 0) / 1e6).toFixed(2)}M instructions/request`);
    } finally {
      await subject.stop();
    }
  }
} finally {
  await origin.stop();
  rmSync(work, { recursive: true, force: true });
}

if (!args["no-docs"] && !only) {
  const table = [
    `Command: \`npm run bench:instructions\` (${new Date().toISOString().slice(0, 10)}; ${warmup} warm-up, then ${requests} measured requests, one at a time).`,
    "",
    "| request | instructions in workerd per request |",
    "|---|--:|",
    ...rows.map((r) => `| ${r.name} | ${(r.instructions / 1e6).toFixed(2)} M |`),
  ].join("\n");
  replaceSection("docs/benchmarks.md", "instructions", table);
  console.log("Wrote docs/benchmarks.md");
}
