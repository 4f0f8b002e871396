import { describe, expect, inject, it } from "vitest";
import { buildBundle } from "../../harness/bundled-worker.ts";
import { bundleSize, regionOf } from "../../scripts/docs-figures.ts";

/**
 * The bundle sizes docs/deploy.md states are the ones a build gives today,
 * within a tenth: `npm run docs:figures` rewrites them. A tenth, so that a
 * small change to the code does not make everyone rerun it, while a figure
 * gone stale (the issue found 97 KiB stated, 114 KiB built) fails.
 */
const TOLERANCE = 0.1;

/** The committed figures, in KiB, in the sentence's order: Worker raw and gzip, commerce raw and gzip. */
function committedKiB(): number[] {
  return [...regionOf("docs/deploy.md", "bundle").matchAll(/(\d+) KiB/g)].map((match) => Number(match[1]));
}

describe("docs/deploy.md's bundle sizes", () => {
  it("are within a tenth of what the build gives today (else: npm run docs:figures)", () => {
    const worker = bundleSize(inject("bundlePath"));
    const commerce = bundleSize(buildBundle("examples/commerce/wrangler.toml", ".wrangler/figures/commerce"));
    const measured = [worker.raw, worker.gzip, commerce.raw, commerce.gzip].map((bytes) => bytes / 1024);
    const committed = committedKiB();
    expect(committed).toHaveLength(measured.length);
    measured.forEach((kib, i) => {
      const stated = committed[i] ?? 0;
      expect(
        Math.abs(stated - kib) / kib,
        `figure ${i + 1}: stated ${stated} KiB, built ${kib.toFixed(1)} KiB; run npm run docs:figures`,
      ).toBeLessThanOrEqual(TOLERANCE);
    });
  });
});
