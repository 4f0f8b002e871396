/**
 * `npm run bench:line-items`: what a sale with many line items costs, up to
 * the body limit. The bundled Worker runs the shipped examples/erply config
 * (its dedup rules compare every line's productID and amount) in front of the
 * Erply-like origin. For each size it sends a few new sales one at a time
 * and, while each is in flight, one unrelated call from another account: the table shows the sale's time through Idem and straight to the
 * origin, and how long the unrelated call took meanwhile. That call is one
 * Idem answers by itself (a malformed temporaryUUID, refused with 1014), so
 * its time is the Worker's alone: a quadratic comparison would hold the
 * Worker's thread, and that call with it.
 *
 * Options: `--sizes=100,1000,10000,40000` line counts (the largest that fits
 * in maxRequestBodyBytes is always added), `--repeat=3` sales per size.
 */
import { parseArgs } from "node:util";
import { startErplyOrigin } from "../examples/erply/origin.ts";
import { buildBundle, startBundledWorker } from "../harness/bundled-worker.ts";
import { idemConfigOf } from "../harness/wrangler-config.ts";

const WRANGLER = "examples/erply/wrangler.toml";
/** The default maxRequestBodyBytes (the example does not change it). */
const BODY_LIMIT = 1024 * 1024;

const { values: args } = parseArgs({
  options: { sizes: { type: "string", default: "100,1000,5000,10000,20000,40000" }, repeat: { type: "string", default: "3" } },
});

function saleBody(lines: number, invoiceNo: string): string {
  const params = new URLSearchParams({
    clientCode: "424242",
    sessionKey: "bench-session",
    clientName: "TouchPOS",
    request: "saveSalesDocument",
    invoiceNo,
    date: "2026-12-01",
    time: "12:00:00",
    type: "INVWAYBILL",
  });
  for (let n = 1; n <= lines; n++) {
    params.append(`productID${n}`, String(n % 500));
    params.append(`amount${n}`, String(1 + (n % 7)));
  }
  return params.toString();
}

/** The most lines whose sale still fits under the body limit. */
function largestFitting(): number {
  let low = 1;
  let high = 200_000;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (Buffer.byteLength(saleBody(mid, "999999")) <= BODY_LIMIT) low = mid;
    else high = mid - 1;
  }
  return low;
}

async function timed(run: () => Promise<Response>, delayMs = 0): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  const started = performance.now();
  const response = await run();
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`unexpected status ${response.status}`);
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

const origin = await startErplyOrigin();
const worker = await startBundledWorker({
  bundle: buildBundle(WRANGLER, ".wrangler/bench-line-items"),
  config: { ...idemConfigOf(WRANGLER), origin: origin.url },
  wranglerConfig: WRANGLER,
});
const post = (base: string | URL, body: string) =>
  fetch(new URL("/api/", base), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
const unrelated = "clientCode=777777&sessionKey=other&request=saveSalesDocument&temporaryUUID=not_valid";

try {
  // Warm-up: the first requests pay for compiling the Worker and creating objects.
  for (let i = 0; i < 3; i++) await timed(() => post(worker.url, saleBody(10, `warm-${i}`)));
  const fitting = largestFitting();
  const sizes = [...new Set([...args.sizes.split(",").map(Number), fitting])].filter((n) => n <= fitting).sort((a, b) => a - b);
  const repeat = Number(args.repeat);
  // Collected and printed at the end: the Worker's decision log lines go to the same terminal.
  const table = [
    "| line items | body (KiB) | sale through Idem (ms) | sale straight to origin (ms) | longest unrelated call meanwhile (ms) |",
    "|---:|---:|---:|---:|---:|",
  ];
  let invoice = 0;
  for (const lines of sizes) {
    const viaIdem: number[] = [];
    const direct: number[] = [];
    const waits: number[] = [];
    for (let i = 0; i < repeat; i++) {
      let done = false;
      const sale = timed(() => post(worker.url, saleBody(lines, String(++invoice)))).finally(() => {
        done = true;
      });
      // One unrelated call after another while the sale is in Idem: they share the Worker with its line comparison.
      let longest = await timed(() => post(worker.url, unrelated));
      while (!done) longest = Math.max(longest, await timed(() => post(worker.url, unrelated), 10));
      viaIdem.push(await sale);
      waits.push(longest);
      direct.push(await timed(() => post(origin.url, saleBody(lines, String(++invoice)))));
    }
    const kib = (Buffer.byteLength(saleBody(lines, String(invoice))) / 1024).toFixed(0);
    table.push(`| ${lines} | ${kib} | ${median(viaIdem).toFixed(0)} | ${median(direct).toFixed(0)} | ${median(waits).toFixed(0)} |`);
  }
  console.log(`\n${table.join("\n")}`);
} finally {
  await worker.dispose();
  await origin.close();
}
