import { ConfigError, loadConfig } from "../../src/config/load.ts";

/**
 * The problems `loadConfig` reports for a config, one line each; empty when
 * it accepts the config. Anything thrown other than a ConfigError is a bug
 * and is rethrown.
 *
 * @example
 * expect(problemsOf({ routes: [] })).toContain("origin: is required");
 */
export function problemsOf(raw: unknown): string[] {
  try {
    loadConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
