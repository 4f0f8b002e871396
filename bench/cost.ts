/**
 * What each path costs in Durable Objects billing: runs test/cost.test.ts in
 * workerd (real SQLite storage, the cursors' billed row counts) and prints,
 * per path, object requests, rows read and written, alarms set, and dollars
 * per million requests from the price table below.
 *
 *   npm run bench:cost
 *
 * It ends with the line `rows written per record over its life: N`: a first
 * execution plus its expiry, in a shard that already holds the hour's table.
 */
import type { TestCase } from "vitest/node";
import { startVitest } from "vitest/node";

/**
 * Durable Objects prices, Workers Paid plan, beyond the included amounts
 * (developers.cloudflare.com/durable-objects/platform/pricing/, read
 * 2026-12-06): requests $0.15 per million (RPC calls and alarm runs count),
 * SQLite rows read $0.001 per million, rows written $1.00 per million (every
 * index entry counts; each setAlarm() is billed as a row written). Duration
 * ($12.50 per million GB-s) is left out: it is spent waiting on the origin.
 */
const PRICE_PER_MILLION = { request: 0.15, rowRead: 0.001, rowWritten: 1.0 } as const;

interface Bill {
  objectRequests: number;
  rowsRead: number;
  rowsWritten: number;
  alarmsSet: number;
}

const bills = new Map<string, Bill>();
const vitest = await startVitest("test", ["test/cost.test.ts"], {
  project: ["workers"],
  watch: false,
  reporters: [
    {
      onTestCaseResult(testCase: TestCase) {
        const bill = (testCase.meta() as { bill?: Bill }).bill;
        if (bill && testCase.result().state === "passed") bills.set(testCase.name, bill);
      },
    },
  ],
});
await vitest.close();
if (process.exitCode) {
  console.error("test/cost.test.ts failed: the counts above are not what the tests assert");
  process.exit(1);
}

const dollars = (bill: Bill) =>
  bill.objectRequests * PRICE_PER_MILLION.request +
  bill.rowsRead * PRICE_PER_MILLION.rowRead +
  (bill.rowsWritten + bill.alarmsSet) * PRICE_PER_MILLION.rowWritten;
const rows = [...bills].map(([path, bill]) => [
  path,
  bill.objectRequests,
  bill.rowsRead,
  bill.rowsWritten,
  bill.alarmsSet,
  `$${dollars(bill).toFixed(3)}`,
]);
const header = ["path", "object requests", "rows read", "rows written", "alarms set", "$ per million"];
const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => String(row[column]).length)));
const line = (cells: readonly (string | number)[]) =>
  cells.map((cell, column) => (column === 0 ? String(cell).padEnd(widths[column] ?? 0) : String(cell).padStart(widths[column] ?? 0))).join("  ");
console.log(`\n${line(header)}`);
for (const row of rows) console.log(line(row));
console.log(`\nPrices: ${JSON.stringify(PRICE_PER_MILLION)} dollars per million (Durable Objects pricing, read 2026-12-06).`);

const first = bills.get("first execution");
const expiry = bills.get("expiry");
if (!first || !expiry) throw new Error("test/cost.test.ts did not report the first execution and the expiry");
console.log(`rows written per record over its life: ${first.rowsWritten + first.alarmsSet + expiry.rowsWritten + expiry.alarmsSet}`);
