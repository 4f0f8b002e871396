/**
 * `npm run bench:memory`: what the isolate holds with 1,000 requests in
 * flight. The origin answers only after 20 s, so every request sent stays
 * open; once the origin has all of them, the isolate's garbage is collected
 * and its V8 heap read through the inspector (and workerd's resident memory
 * from /proc). The difference from the idle, warmed-up isolate, divided by
 * the requests in flight, is what one in-flight request holds.
 *
 * Cases: the bare forwarding Worker (what the runtime itself holds), Idem
 * without a key (streamed through), with fresh keys (buffered, in a
 * KeyObject), and with fresh keys carrying a 64 KiB body, to show how the
 * buffered body counts; Idem refuses bodies over maxRequestBodyBytes (1 MiB
 * by default) before buffering more, so that bound caps the last figure.
 *
 * A second case replays one large stored answer (10 MiB, the default
 * `maxStoredResponseBytes`) to `--replays` clients at once, each of which
 * stops reading after the response's head: what the isolate holds for
 * replays in progress (heap and resident memory while they are held, and
 * workerd's peak resident memory while they are then read to the end);
 * beside it, as many 10 MiB answers streamed from the origin without a key,
 * held the same way: what the runtime holds for any streamed answer.
 * Writes the `bench:memory` section of docs/benchmarks.md.
 *
 * Options: `--requests=1000`, `--replays=8`, `--only=in-flight|replays`, `--no-docs`.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { Agent, type IncomingMessage, request } from "node:http";
import { parseArgs } from "node:util";
import { buildBundle } from "../harness/bundled-worker.ts";
import { freePort } from "../harness/free-port.ts";
import { inspect } from "./inspector.ts";
import { BYTES_HEADER, EXECUTED_PATH } from "./origin.ts";
import { currentLoad, replaceSection } from "./report.ts";
import { startNodeService } from "./services.ts";
import { SUBJECT_NAMES, type SubjectId, startSubject } from "./subjects.ts";
import { BASE_HEADERS, BODY } from "./workloads.ts";

const ORIGIN_LATENCY_MS = 20_000;

interface Case {
  name: string;
  subject: SubjectId;
  keyed: boolean;
  body: string;
}

const LARGE_BODY = JSON.stringify({ item: "lamp", note: "x".repeat(64 * 1024 - 30) });
const CASES: Case[] = [
  { name: `${SUBJECT_NAMES["bare-worker"]}, no key`, subject: "bare-worker", keyed: false, body: BODY },
  { name: "Idem, no key (pass-through)", subject: "idem", keyed: false, body: BODY },
  { name: "Idem, fresh keys", subject: "idem", keyed: true, body: BODY },
  { name: "Idem, fresh keys, 64 KiB body", subject: "idem", keyed: true, body: LARGE_BODY },
];

const { values: args } = parseArgs({
  options: {
    requests: { type: "string", default: "1000" },
    replays: { type: "string", default: "8" },
    only: { type: "string" },
    "no-docs": { type: "boolean", default: false },
  },
});
const inFlight = Number(args.requests);
const replays = Number(args.replays);
const REPLAY_BYTES = 10 * 1024 * 1024;

/** A line of /proc/<pid>/status in bytes: `VmRSS` (resident now) or `VmHWM` (the peak since it was last reset). */
function statusBytes(pid: number, field: "VmRSS" | "VmHWM"): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  return Number(line?.[1] ?? 0) * 1024;
}

function residentBytes(pid: number): number {
  return statusBytes(pid, "VmRSS");
}

async function executed(originUrl: string): Promise<number> {
  const response = await fetch(new URL(EXECUTED_PATH, originUrl), { method: "POST" });
  return ((await response.json()) as { executed: number }).executed;
}

/** One request over its own connection (node:http, so that 1,000 can be open at once), resolving when it is answered. */
function send(url: URL, agent: Agent, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = request({ host: url.hostname, port: url.port, path: "/orders", method: "POST", headers, agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    out.on("error", reject);
    out.end(body);
  });
}

/** A POST whose response head has arrived; its body waits, unread, until `drain`. */
function held(url: URL, agent: Agent, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const out = request(
      {
        host: url.hostname,
        port: url.port,
        path: "/orders",
        method: "POST",
        agent,
        headers: { ...BASE_HEADERS, ...headers },
      },
      (res) => {
        res.pause();
        resolve(res);
      },
    );
    out.on("error", reject);
    out.end(BODY);
  });
}

/** Reads a held response to its end: its length and SHA-256. */
async function drain(res: IncomingMessage): Promise<{ bytes: number; sha: string }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of res) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).byteLength;
  }
  return { bytes, sha: hash.digest("hex") };
}

interface LargeAnswerRow {
  name: string;
  idleHeap: number;
  heap: number;
  idleRss: number;
  rss: number;
  peakRss: number;
  answers: string;
}

/**
 * `replays` clients at once, each getting a 10 MiB answer, holding it after
 * the head, then reading it all: replays of one stored answer, or (for
 * comparison: what the runtime holds for any streamed answer) answers
 * streamed from the origin without a key.
 */
async function largeAnswerCase(bundle: string, mode: "replay" | "pass-through"): Promise<LargeAnswerRow> {
  const origin = await startNodeService("bench/origin.ts", ["0"]);
  const inspectorPort = await freePort();
  const subject = await startSubject("idem", { originUrl: origin.url, bundle, workerd: { inspectorPort } });
  if (!subject) throw new Error("idem is not a Worker");
  const cdp = await inspect(inspectorPort);
  const agent = new Agent({ keepAlive: true, maxSockets: replays + 1 });
  const name =
    mode === "replay" ? `replays of one stored ${mib(REPLAY_BYTES)} MiB answer` : `${mib(REPLAY_BYTES)} MiB answers streamed from the origin, no key`;
  try {
    const url = new URL(subject.url);
    const large = { [BYTES_HEADER]: String(REPLAY_BYTES) };
    const keyed = { "idempotency-key": `memory-replay-${Date.now()}` };
    const headers = mode === "replay" ? keyed : large;
    const stored = await drain(await held(url, agent, mode === "replay" ? { ...keyed, ...large } : large));
    if (stored.bytes !== REPLAY_BYTES) throw new Error(`the origin's answer was ${stored.bytes} bytes, not ${REPLAY_BYTES}`);
    process.stdout.write(`${replays} × ${name}: warming up … `);
    for (let i = 0; i < 3; i++) await drain(await held(url, agent, headers));
    const heap = async () => {
      await cdp.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
      return ((await cdp.send("Runtime.getHeapUsage")) as { usedSize: number }).usedSize;
    };
    const idleHeap = await heap();
    const idleRss = residentBytes(subject.pid);
    // Resets workerd's peak resident memory (VmHWM), so that the peak read below is these answers'.
    writeFileSync(`/proc/${subject.pid}/clear_refs`, "5");
    const open = await Promise.all(Array.from({ length: replays }, () => held(url, agent, headers)));
    // Whatever the runtime pulls ahead of a client that reads nothing is held now.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const heldHeap = await heap();
    const heldRss = residentBytes(subject.pid);
    const read = await Promise.all(open.map(async (res) => ({ status: res.statusCode ?? 0, ...(await drain(res)) })));
    const peakRss = statusBytes(subject.pid, "VmHWM");
    const counts = new Map<string, number>();
    for (const r of read) {
      // A replay must be the stored answer itself; the origin sends fresh random bytes each time.
      const same = r.bytes === stored.bytes && (mode === "pass-through" || r.sha === stored.sha);
      const what = `${r.status}${same ? (mode === "replay" ? " (identical)" : "") : ` (${r.bytes} bytes, differs)`}`;
      counts.set(what, (counts.get(what) ?? 0) + 1);
    }
    const answers = [...counts].map(([what, n]) => `${n} × ${what}`).join(", ");
    console.log(`heap ${mib(idleHeap)} → ${mib(heldHeap)} MiB, RSS ${mib(idleRss)} → ${mib(heldRss)} MiB, peak ${mib(peakRss)} MiB; ${answers}`);
    return { name, idleHeap, heap: heldHeap, idleRss, rss: heldRss, peakRss, answers };
  } finally {
    cdp.close();
    agent.destroy();
    await subject.stop();
    await origin.stop();
  }
}

const bundle = buildBundle("wrangler.toml", ".wrangler/bench");
const origin = await startNodeService("bench/origin.ts", [String(ORIGIN_LATENCY_MS)]);
const rows: { name: string; idleHeap: number; heap: number; idleRss: number; rss: number; statuses: string }[] = [];
const loadBefore = currentLoad();
try {
  for (const c of args.only === "replays" ? [] : CASES) {
    const inspectorPort = await freePort();
    const subject = await startSubject(c.subject, { originUrl: origin.url, bundle, workerd: { inspectorPort } });
    if (!subject) throw new Error(`${c.subject} is not a Worker`);
    const cdp = await inspect(inspectorPort);
    const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
    try {
      const url = new URL(subject.url);
      const headersFor = (i: number) => ({
        ...BASE_HEADERS,
        "content-length": String(Buffer.byteLength(c.body)),
        ...(c.keyed ? { "idempotency-key": `memory-${Date.now()}-${i}` } : {}),
      });
      // Warm-up: the code paths are compiled and the shard objects exist before the idle heap is read.
      process.stdout.write(`${c.name}: warming up … `);
      await Promise.all(Array.from({ length: 300 }, (_, i) => send(url, agent, headersFor(-1 - i), c.body)));
      // workerd's inspector leaves HeapProfiler.collectGarbage unanswered; a heap snapshot collects garbage first.
      const heap = async () => {
        await cdp.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
        return ((await cdp.send("Runtime.getHeapUsage")) as { usedSize: number }).usedSize;
      };
      const idleHeap = await heap();
      const idleRss = residentBytes(subject.pid);
      const before = await executed(origin.url);
      process.stdout.write(`${inFlight} in flight … `);
      const answers = Array.from({ length: inFlight }, (_, i) => send(url, agent, headersFor(i), c.body));
      while ((await executed(origin.url)) - before < inFlight) await new Promise((resolve) => setTimeout(resolve, 200));
      const loadedHeap = await heap();
      const loadedRss = residentBytes(subject.pid);
      const statuses = await Promise.all(answers);
      const counts = new Map<number, number>();
      for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
      rows.push({
        name: c.name,
        idleHeap,
        heap: loadedHeap,
        idleRss,
        rss: loadedRss,
        statuses: [...counts].map(([status, n]) => `${n} × ${status}`).join(", "),
      });
      console.log(`heap ${mib(idleHeap)} → ${mib(loadedHeap)} MiB, RSS ${mib(idleRss)} → ${mib(loadedRss)} MiB; answers: ${rows.at(-1)?.statuses}`);
    } finally {
      cdp.close();
      agent.destroy();
      await subject.stop();
    }
  }
} finally {
  await origin.stop();
}
const largeRows: LargeAnswerRow[] = [];
if (args.only !== "in-flight") {
  largeRows.push(await largeAnswerCase(bundle, "pass-through"));
  largeRows.push(await largeAnswerCase(bundle, "replay"));
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}

function kib(bytes: number): string {
  return (bytes / 1024).toFixed(1);
}

const replayTable =
  largeRows.length === 0
    ? []
    : [
        "",
        `${replays} clients at once each get a ${mib(REPLAY_BYTES)} MiB answer; each stops reading after the response's head and is held for 1 s, then all read to the end.`,
        "",
        "| answers at once | V8 heap idle → held (MiB) | workerd RSS idle → held (MiB) | workerd peak RSS while read (MiB) | peak above idle, per answer | answers |",
        "|---|--:|--:|--:|--:|---|",
        ...largeRows.map(
          (r) =>
            `| ${replays} ${r.name} | ${mib(r.idleHeap)} → ${mib(r.heap)} | ${mib(r.idleRss)} → ${mib(r.rss)} | ${mib(r.peakRss)} | ${mib((r.peakRss - r.idleRss) / replays)} MiB | ${r.answers} |`,
        ),
      ];
const table = [
  `Command: \`npm run bench:memory\` (${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC; ${inFlight} requests in flight against an origin that answers after ${ORIGIN_LATENCY_MS / 1000} s; load average before ${loadBefore.join(", ")}).`,
  "",
  "| requests in flight | V8 heap idle → in flight (MiB) | per in-flight request (heap) | workerd RSS idle → in flight (MiB) | per in-flight request (RSS) | answers |",
  "|---|--:|--:|--:|--:|---|",
  ...rows.map(
    (r) =>
      `| ${r.name} | ${mib(r.idleHeap)} → ${mib(r.heap)} | ${kib((r.heap - r.idleHeap) / inFlight)} KiB | ${mib(r.idleRss)} → ${mib(r.rss)} | ${kib((r.rss - r.idleRss) / inFlight)} KiB | ${r.statuses} |`,
  ),
  ...replayTable,
].join("\n");
console.log(`\n${table}`);
// A partial run (--only) leaves the documented figures alone.
if (!args["no-docs"] && args.only === undefined) {
  replaceSection("docs/benchmarks.md", "memory", table);
  console.log("Wrote docs/benchmarks.md");
}
