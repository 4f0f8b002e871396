#!/usr/bin/env node
import { type CheckResult, checkConfig } from "./check.ts";
/**
 * `idem`, the package's command line (docs/cli.md):
 *
 *   idem init [dir] [--origin URL]      a new project, or what is missing in one
 *   idem check [--config F] [--env E]   checks an Idem config (what `wrangler deploy` runs first)
 *   idem records get|lookup|purge|resolve|list …   the admin API of a running gateway
 *   idem routes [--config F]            wrangler `routes` that send only Idem's paths through the Worker
 */
import { checkAllEnvironments } from "./check-all.ts";
import { init } from "./init.ts";
import { recordsCommand } from "./records.ts";
import { routesCommand } from "./routes.ts";

const USAGE = `Usage: idem <command> [options]   (docs/cli.md; idem <command> --help)
  init [dir] [--origin URL]       write a project that runs Idem (never overwrites a file or setting)
  check [--config F] [--env E] [--explain "METHOD /path"] [--all-envs]
                                  check an Idem config, explain how a request would be handled
  records get|lookup|purge|resolve|list …
                                  the admin API of a running gateway (IDEM_URL, IDEM_ADMIN_TOKEN)
  routes --host H [--zone Z] [--config F] [--env E]
                                  wrangler routes that send only Idem's paths through the Worker`;

type Command = (argv: string[]) => Promise<CheckResult>;

const commands: Record<string, Command> = {
  init,
  records: recordsCommand,
  routes: routesCommand,
  check: (argv) => (argv.includes("--all-envs") ? checkAllEnvironments(argv.filter((arg) => arg !== "--all-envs")) : checkConfig(argv)),
};

const [name = "", ...rest] = process.argv.slice(2);
const command = commands[name];
const result: CheckResult = command
  ? await command(rest)
  : {
      code: name === "" || name === "--help" ? 0 : 2,
      stdout: "",
      stderr: `${name === "" || name === "--help" ? "" : `idem: unknown command "${name}"\n\n`}${USAGE}`,
    };
if (result.stdout) console.log(result.stdout);
if (result.stderr) console.error(result.stderr);
process.exitCode = result.code;
