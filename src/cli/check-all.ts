import { parseArgs } from "node:util";
import { type CheckResult, checkConfig } from "./check.ts";

/**
 * `idem check --all-envs`: checks the Idem config of a wrangler config's top
 * level and of each `[env.<name>]` it defines, one line each. It is the check
 * wrangler's `[build] command` runs: wrangler does not tell a build command
 * which environment it builds, so the build checks all of them.
 *
 * @example
 * const { code, stdout } = await checkAllEnvironments(["--config", "wrangler.toml"]);
 */
export async function checkAllEnvironments(argv: string[]): Promise<CheckResult> {
  const { values } = parseArgs({ args: argv, options: { config: { type: "string", default: "wrangler.toml" } }, strict: true });
  // Loaded only here: it is large, and the other commands do not need it.
  const { unstable_readConfig } = await import("wrangler");
  let environments: string[];
  try {
    environments = unstable_readConfig({ config: values.config }, { hideWarnings: true }).definedEnvironments ?? [];
  } catch (error) {
    return { code: 2, stdout: "", stderr: `idem check: ${error instanceof Error ? error.message : String(error)}` };
  }
  const stdout: string[] = [];
  const stderr: string[] = [];
  let code = 0;
  for (const env of [undefined, ...environments]) {
    const result = await checkConfig(["--config", values.config, ...(env === undefined ? [] : ["--env", env])]);
    code = Math.max(code, result.code);
    // The verdict line, and how many warnings (`!`) `idem check` would show with the routes.
    const [verdict, ...details] = result.stdout.split("\n");
    const warnings = details.filter((line) => line.startsWith("  ! ")).length;
    if (verdict)
      stdout.push(
        `${verdict}${warnings > 0 ? `; ${warnings} warning${warnings === 1 ? "" : "s"}: idem check --config ${values.config}${env === undefined ? "" : ` --env ${env}`}` : ""}`,
      );
    if (result.stderr) stderr.push(result.stderr);
  }
  return { code, stdout: stdout.join("\n"), stderr: stderr.join("\n") };
}
