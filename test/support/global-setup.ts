import { createServer } from "node:net";
import type { TestProject } from "vitest/node";
import { startOrdersOrigin } from "../../demo/orders-origin.ts";

declare module "vitest" {
  export interface ProvidedContext {
    originUrl: string;
    deadOriginUrl: string;
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

/** Starts the real demo origin on 127.0.0.1 for every test file of the run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const origin = await startOrdersOrigin();
  project.provide("originUrl", origin.url);
  project.provide("deadOriginUrl", `http://127.0.0.1:${await closedPort()}`);
  return () => origin.close();
}
