import type { TestProject } from "vitest/node";
import { buildBundle } from "../../harness/bundled-worker.ts";

declare module "vitest" {
  export interface ProvidedContext {
    bundlePath: string;
  }
}

/** Bundles the Worker once for all end-to-end tests, as `wrangler deploy` would. */
export default function setup(project: TestProject): void {
  project.provide("bundlePath", buildBundle());
}
