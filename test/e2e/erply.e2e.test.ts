import { afterAll, beforeAll, inject } from "vitest";
import { type ErplyOrigin, startErplyOrigin } from "../../examples/erply/origin.ts";
import { type BundledWorker, startBundledWorker } from "../../harness/bundled-worker.ts";
import { idemConfigOf } from "../../harness/wrangler-config.ts";
import { erplyProofs } from "../support/erply-proofs.ts";

const EXAMPLE = "examples/erply/wrangler.toml";

let origin: ErplyOrigin;
let worker: BundledWorker;

beforeAll(async () => {
  origin = await startErplyOrigin();
  // The example's bindings and config as shipped; only the origin's port differs.
  worker = await startBundledWorker({
    bundle: inject("bundlePath"),
    wranglerConfig: EXAMPLE,
    config: { ...idemConfigOf(EXAMPLE), origin: origin.url },
  });
});

afterAll(async () => {
  await worker?.dispose();
  await origin?.close();
});

// The bundled Worker on Miniflare over real HTTP, in front of the Erply-like origin on 127.0.0.1.
erplyProofs(() => ({ send: (request) => fetch(request), base: worker.url.href, originUrl: origin.url }));
