import { readFileSync } from "node:fs";
import type { Json } from "miniflare";
import type { TestProject } from "vitest/node";
import { startOrdersOrigin } from "../../demo/orders-origin.ts";
import { startErplyOrigin } from "../../examples/erply/origin.ts";
import { startStripeOrigin } from "../../examples/stripe/origin.ts";
import { configFileOf } from "../../harness/config-file.ts";
import { freePort } from "../../harness/free-port.ts";
import { idemConfigOf } from "../../harness/wrangler-config.ts";

declare module "vitest" {
  export interface ProvidedContext {
    originUrl: string;
    deadOriginUrl: string;
    erplyOriginUrl: string;
    erplyConfig: Record<string, Json>;
    stripeOriginUrl: string;
    exampleConfigs: Record<string, Record<string, Json>>;
    commerceConfigFile: string;
  }
}

/** Starts the real demo origins on 127.0.0.1 for every test file of the run, and reads the shipped configs. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const origin = await startOrdersOrigin();
  const erplyOrigin = await startErplyOrigin();
  const stripeOrigin = await startStripeOrigin();
  project.provide("originUrl", origin.url);
  project.provide("deadOriginUrl", `http://127.0.0.1:${await freePort()}`);
  project.provide("erplyOriginUrl", erplyOrigin.url);
  project.provide("erplyConfig", idemConfigOf("examples/erply/wrangler.toml"));
  project.provide("stripeOriginUrl", stripeOrigin.url);
  project.provide("exampleConfigs", {
    demo: idemConfigOf("wrangler.toml"),
    erply: idemConfigOf("examples/erply/wrangler.toml"),
    stripe: idemConfigOf("examples/stripe/wrangler.toml"),
    printone: idemConfigOf("examples/printone/wrangler.toml"),
  });
  project.provide("commerceConfigFile", readFileSync(configFileOf("examples/commerce/wrangler.toml").path, "utf8"));
  return async () => {
    await origin.close();
    await erplyOrigin.close();
    await stripeOrigin.close();
  };
}
