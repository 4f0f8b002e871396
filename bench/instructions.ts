/**
 * `npm run bench:instructions`: instructions workerd executes per request,
 * counted by valgrind's callgrind. Unlike requests/s on a shared 2-core
 * machine, the count barely moves between runs (±2%), so it is what the
 * hot-path commits quote as before/after.
 *
 * Idem runs on Miniflare with workerd under callgrind; requests go one at a
 * time (after a warm-up), and only the measured ones are counted. Writes the
 * `bench:instructions` section of docs/benchmarks.md.
 *
 * Options: `--warmup=300`, `--requests=200`, `--no-docs`.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { buildBundle } from "../harness/bundled-worker.ts";
import { ensureDebianTool } from "./debian.ts";
import type { KeyspaceStrategy } from "./idem-worker.ts";
import { replaceSection } from "./report.ts";
import { childPids, startNodeService } from "./services.ts";
import { BASE_HEADERS, BODY } from "./workloads.ts";

type Case = { name: string; strategy: KeyspaceStrategy; key: (prefix: string, i: number) => string | undefined };

const CASES: Case[] = [
  { name: "no key (pass-through)", strategy: "sharded", key: () => undefined },
  { name: "replay", strategy: "sharded", key: (prefix, i) => `${prefix}-r${i % 50}` },
  { name: "fresh key, per-key keyspace", strategy: "per-key", key: (prefix, i) => `${prefix}-${i}` },
  { name: "fresh key, sharded keyspace", strategy: "sharded", key: (prefix, i) => `${prefix}-${i}` },
];

const { values: args } = parseArgs({
  options: {
    warmup: { type: "string", default: "300" },
    requests: { type: "string", default: "200" },
    "no-docs": { type: "boolean", default: false },
  },
});
const warmup = Number(args.warmup);
const requests = Number(args.requests);

ensureDebianTool("valgrind", "valgrind");
const work = mkdtempSync(join(tmpdir(), "idem-callgrind-"));
const workerdBin = join(dirname(createRequire(import.meta.url).resolve("workerd/package.json")), "bin", "workerd");
const wrapper = join(work, "workerd-under-callgrind.sh");
// Counting starts off (--instr-atstart=no) and is switched on for the measured requests only.
writeFileSync(
  wrapper,
  `#!/bin/sh\nexec valgrind --tool=callgrind --instr-atstart=no --vgdb-prefix=${work}/vgdb-pipe --log-file=${work}/valgrind.%p.log --callgrind-out-file=${work}/callgrind.%p.out --smc-check=all-non-file "${workerdBin}" "$@"\n`,
);
chmodSync(wrapper, 0o755);

function callgrindControl(pid: number, ...options: string[]): void {
  execFileSync("callgrind_control", [...options, String(pid)], { env: { ...process.env, TMPDIR: work }, stdio: "ignore" });
}

function workerdPid(servicePid: number): number {
  const stack = [servicePid];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("workerd")) return pid;
    stack.push(...childPids(pid));
  }
  throw new Error("workerd under valgrind not found");
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
  for (const c of CASES) {
    const idem = await startNodeService("bench/idem-worker.ts", [bundle, origin.url, c.strategy], {
      ...process.env,
      MINIFLARE_WORKERD_PATH: wrapper,
    });
    try {
      const prefix = `instr-${Date.now()}`;
      const send = async (key: string | undefined) => {
        const headers = { ...BASE_HEADERS, "accept-encoding": "identity", ...(key === undefined ? {} : { "idempotency-key": key }) };
        const response = await fetch(`${idem.url}/orders`, { method: "POST", body: BODY, headers });
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`${c.name}: status ${response.status}`);
      };
      // Fresh keys stay fresh (i keeps counting); replay keys repeat (i % 50), so the warm-up executes them.
      for (let i = 0; i < warmup; i++) await send(c.key(prefix, i));
      const pid = workerdPid(idem.pid);
      callgrindControl(pid, "-i", "on");
      for (let i = 0; i < requests; i++) await send(c.key(prefix, warmup + i));
      callgrindControl(pid, "-i", "off");
      callgrindControl(pid, "-d");
      const totals = /^totals: (\d+)/m.exec(await waitForDump(pid));
      rows.push({ name: c.name, instructions: Number(totals?.[1]) / requests });
      console.log(`${c.name}: ${((rows.at(-1)?.instructions ?? 0) / 1e6).toFixed(2)}M instructions/request`);
    } finally {
      await idem.stop();
    }
  }
} finally {
  await origin.stop();
  rmSync(work, { recursive: true, force: true });
}

if (!args["no-docs"]) {
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
