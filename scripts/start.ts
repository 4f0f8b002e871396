/**
 * Runs Idem locally under `wrangler dev` on http://127.0.0.1:8787, in front of
 * a bundled demo origin.
 *
 *   npm start                  the orders demo (wrangler.toml + demo/orders-origin.ts)
 *   npm run example:erply      the Erply-style example (examples/erply/)
 *   npm run example -- in-worker   Idem and the orders API in one Worker (examples/in-worker/): no separate origin
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { startOrdersOrigin } from "../demo/orders-origin.ts";
import { startErplyOrigin } from "../examples/erply/origin.ts";

interface Setup {
  wranglerConfig: string;
  /** The demo origin to start first; none when the API lives in the Worker itself. */
  startOrigin?: () => Promise<{ url: string; close(): Promise<void> }>;
}

const ORIGIN_PORT = 8788;

const setups: Record<string, Setup> = {
  demo: { wranglerConfig: "wrangler.toml", startOrigin: () => startOrdersOrigin({ port: ORIGIN_PORT }) },
  erply: { wranglerConfig: "examples/erply/wrangler.toml", startOrigin: () => startErplyOrigin({ port: ORIGIN_PORT }) },
  "in-worker": { wranglerConfig: "examples/in-worker/wrangler.toml" },
};

const name = process.argv[2] ?? "demo";
const setup = setups[name];
if (!setup) {
  console.error(`Unknown setup "${name}"; choose one of: ${Object.keys(setups).join(", ")}`);
  process.exit(2);
}

const origin = await setup.startOrigin?.().catch((error: NodeJS.ErrnoException) => {
  const hint = error.code === "EADDRINUSE" ? ` Port ${ORIGIN_PORT} is taken: stop what uses it (another npm start?) and try again.` : "";
  console.error(`The demo origin could not start: ${error.message}.${hint}`);
  process.exit(1);
});
if (origin) console.log(`Demo origin: ${origin.url}  (its request log: ${origin.url}/__demo/requests)`);

const wrangler = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
const child = spawn(process.execPath, [wrangler, "dev", "--config", setup.wranglerConfig, "--ip", "127.0.0.1", "--port", "8787"], {
  stdio: "inherit",
  env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
});
const stop = () => child.kill("SIGINT");
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
child.on("exit", async (code) => {
  await origin?.close();
  process.exit(code ?? 0);
});
