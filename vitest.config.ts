import { fileURLToPath } from "node:url";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import type { Json } from "miniflare";
import { defineConfig } from "vitest/config";
import { boundWorker } from "./harness/bound-worker.ts";
import { configFileOf } from "./harness/config-file.ts";
import packageJson from "./package.json" with { type: "json" };

/**
 * The repository imports its own package by name (worker.ts, and each example's entry), as a user's Worker does.
 * Vite does not resolve a package's self-reference, so each export of package.json maps to its source: the
 * `idem:source` condition, which TypeScript reads too (tsconfig.json); wrangler reads the built dist/.
 */
const selfReference = Object.entries(packageJson.exports).flatMap(([subpath, target]) =>
  typeof target === "object" && "idem:source" in target
    ? [{ find: new RegExp(`^${packageJson.name}${subpath.slice(1)}$`), replacement: fileURLToPath(new URL(target["idem:source"], import.meta.url)) }]
    : [],
);

export default defineConfig({
  test: {
    // Console output of failing tests only. Set here: vitest ignores it in a project's own config, and the
    // Worker logs one decision line per request (the storm alone sends 10,000).
    silent: "passed-only",
    projects: [
      {
        // Inside workerd, with real Durable Object storage and alarms.
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ORIGIN_URL: inject("originUrl"),
                DEAD_ORIGIN_URL: inject("deadOriginUrl"),
                ERPLY_ORIGIN_URL: inject("erplyOriginUrl"),
                ERPLY_IDEM_CONFIG: inject("erplyConfig"),
                STRIPE_ORIGIN_URL: inject("stripeOriginUrl"),
                EXAMPLE_IDEM_CONFIGS: inject("exampleConfigs"),
                COMMERCE_CONFIG_FILE: inject("commerceConfigFile"),
                // A credential secret for origins' headers, as `wrangler secret put` would set it.
                ORIGIN_AUTH_SECRET: "origin-auth-9f2c41d7e0b35a68",
              },
              // A real second Worker, reached through a service binding (test/fixtures/bound-worker.ts).
              serviceBindings: { BOUND_ORIGIN: "bound-orders" },
              workers: [boundWorker("bound-orders")],
            },
          })),
        ],
        resolve: { alias: selfReference },
        test: {
          name: "workers",
          include: ["src/**/*.test.ts", "test/**/*.test.ts"],
          exclude: ["test/e2e/**"],
          globalSetup: ["./test/support/global-setup.ts"],
        },
      },
      {
        // examples/in-worker as the Worker under test: Idem and the API in one Worker (docs/in-worker.md).
        // The plugin does not apply wrangler's `alias`, so the example's config file arrives as IDEM_CONFIG.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./examples/in-worker/wrangler.toml" },
            miniflare: { bindings: { IDEM_CONFIG: configFileOf("examples/in-worker/wrangler.toml").config as Json } },
          }),
        ],
        resolve: { alias: selfReference },
        test: { name: "in-worker", include: ["examples/in-worker/*.test.ts"] },
      },
      {
        // The bundled Worker on Miniflare, driven from Node over real HTTP.
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          alias: selfReference,
          globalSetup: ["./test/e2e/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
