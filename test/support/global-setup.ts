import { createServer } from "node:net";
import type { TestProject } from "vitest/node";
import type { Json } from "miniflare";
import { startOrdersOrigin } from "../../demo/orders-origin.ts";
import { startErplyOrigin } from "../../examples/erply/origin.ts";
import { idemConfigOf } from "../../harness/wrangler-config.ts";

declare module "vitest" {
  export interface ProvidedContext {
    originUrl: string;
    deadOriginUrl: string;
    erplyOriginUrl: string;
    erplyConfig: Record<string, Json>;
  }
}

/** A port on 127.0.0.1 with nothing listening: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** Starts the real demo origins on 127.0.0.1 for every test file of the run, and reads the shipped Erply example config. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const origin = await startOrdersOrigin();
  const erplyOrigin = await startErplyOrigin();
  project.provide("originUrl", origin.url);
  project.provide("deadOriginUrl", `http://127.0.0.1:${await closedPort()}`);
  project.provide("erplyOriginUrl", erplyOrigin.url);
  project.provide("erplyConfig", idemConfigOf("examples/erply/wrangler.toml"));
  return async () => {
    await origin.close();
    await erplyOrigin.close();
  };
}
