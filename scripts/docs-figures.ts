/**
 * Measures the figures the documentation states about Idem's own build, and
 * writes them into the pages between `<!-- figures:<name>:start -->` and
 * `<!-- figures:<name>:end -->`, as bench/report.ts does for docs/benchmarks.md:
 *
 *   npm run docs:figures           build, measure, rewrite the marked regions
 *   npm run docs:figures -- --check   build and measure; exit 1 when a page is stale
 *
 * The bundles are what `wrangler deploy --dry-run` uploads (minified), so the
 * figures are what a deploy sends. test/e2e/docs-figures.e2e.test.ts fails
 * when a committed figure is more than a tenth off the measured one.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { buildBundle } from "../harness/bundled-worker.ts";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");

/** One bundle's size, in bytes. */
export interface Size {
  raw: number;
  gzip: number;
}

export interface Figures {
  /** The Worker as wrangler.toml's top level bundles it (its config a variable). */
  worker: Size;
  /** examples/commerce, which bundles its 21 KB config file. */
  commerce: Size;
}

function sizeOf(bytes: Uint8Array): Size {
  return { raw: bytes.byteLength, gzip: gzipSync(bytes).byteLength };
}

/** The size of a built bundle file. */
export function bundleSize(path: string): Size {
  return sizeOf(readFileSync(path));
}

/** Builds both bundles as a deploy would and measures them. */
export function measureFigures(): Figures {
  return {
    worker: bundleSize(buildBundle("wrangler.toml", ".wrangler/figures/worker")),
    commerce: bundleSize(buildBundle("examples/commerce/wrangler.toml", ".wrangler/figures/commerce")),
  };
}

const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;

/** The sentence docs/deploy.md carries between its `figures:bundle` markers. */
export function bundleSentence(f: Figures): string {
  return (
    `The Worker's bundle is ${kib(f.worker.raw)}, ${kib(f.worker.gzip)} gzipped (minified, as \`wrangler deploy\` uploads it); ` +
    `\`examples/commerce\`, which carries its 21 KB config file, ` +
    `${kib(f.commerce.raw)}, ${kib(f.commerce.gzip)} gzipped. Measured by \`npm run docs:figures\`, which writes this sentence.`
  );
}

/** Where each figure is written: the page and the marker's name. */
export const REGIONS = [{ page: "docs/deploy.md", name: "bundle", text: bundleSentence }] as const;

const markers = (name: string) => [`<!-- figures:${name}:start -->`, `<!-- figures:${name}:end -->`] as const;

/** The text between a page's markers. */
export function regionOf(page: string, name: string): string {
  const text = readFileSync(join(root, page), "utf8");
  const [start, end] = markers(name);
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to < from) throw new Error(`${page} has no ${start} … ${end} region`);
  return text.slice(from + start.length, to).trim();
}

function writeRegion(page: string, name: string, content: string): void {
  const path = join(root, page);
  const text = readFileSync(path, "utf8");
  const [start, end] = markers(name);
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to < from) throw new Error(`${page} has no ${start} … ${end} region`);
  writeFileSync(path, `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { check: { type: "boolean", default: false } } });
  const figures = measureFigures();
  let stale = 0;
  for (const { page, name, text } of REGIONS) {
    const content = text(figures);
    if (values.check) {
      if (regionOf(page, name) !== content) {
        stale++;
        console.error(`${page} (${name}) is stale; it should read:\n${content}`);
      }
    } else {
      writeRegion(page, name, content);
      console.log(`${page} (${name}): ${content}`);
    }
  }
  process.exitCode = stale > 0 ? 1 : 0;
}
