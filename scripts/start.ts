/**
 * Runs Idem locally under `wrangler dev` on http://127.0.0.1:8787, in front of
 * an example's demo origins, with an empty state and an admin token made for
 * this run:
 *
 *   npm start                              the demo (wrangler.toml + demo/orders-origin.ts)
 *   npm run example -- <name>              an example of examples/ (each folder's README says what to send)
 *   npm start -- --persist                 keep the state across restarts (.wrangler/persist/<name>)
 *   npm run example -- --list              the names
 *
 * The examples are declared in their folders (scripts/examples.ts); running
 * one is scripts/run-example.ts.
 */
import { parseArgs } from "node:util";
import { errorMessage } from "../src/util/error-message.ts";
import { type DeclaredExample, exampleNames, loadExample } from "./examples.ts";
import type { RunningExample } from "./run-example.ts";

/** Where `--persist` keeps an example's state, relative to the repository. */
const persistedStateDir = (name: string) => `.wrangler/persist/${name}`;

async function list(): Promise<string> {
  const lines = ["Examples (npm run example -- <name>; npm start runs demo):"];
  for (const name of exampleNames()) {
    const example = await loadExample(name);
    lines.push(`  ${name.padEnd(10)} ${example?.summary ?? ""}`);
  }
  return lines.join("\n");
}

/** How to run `name` again, for the banner's hints. */
const command = (name: string, extra = "") =>
  name === "demo" ? `npm start${extra ? ` -- ${extra}` : ""}` : `npm run example -- ${name}${extra ? ` ${extra}` : ""}`;

function banner(example: DeclaredExample, running: RunningExample): string {
  const { url, admin, state } = running;
  const lines = [``, `Idem (${example.name}) is ready on ${url}`];
  for (const [where, origin] of Object.entries(running.origins))
    lines.push(`  ${where.padEnd(18)} ${origin}  (what it received: ${origin}/__demo/requests)`);
  for (const [service, entry] of Object.entries(running.boundWorkers))
    lines.push(`  ${`Worker ${service}`.padEnd(18)} ${entry}, through its service binding`);
  if (running.secrets.length > 0) lines.push(`  secrets            ${running.secrets.join(", ")}: generated for this run`);
  lines.push("");
  if (state.persistent) {
    lines.push(
      `State: kept across restarts in ${persistedStateDir(example.name)}.`,
      `  Reset it: stop, then rm -rf ${persistedStateDir(example.name)} (or start without --persist).`,
    );
  } else {
    lines.push(`State: empty at start, in ${state.dir}, deleted when you stop.`, `  Keep it across restarts: ${command(example.name, "--persist")}`);
  }
  lines.push(
    "",
    `Admin API: ${admin.base}  (token for this run only: ${admin.token})`,
    `  curl -H 'Authorization: Bearer ${admin.token}' ${admin.base}/health`,
    "",
    example.name === "demo" ? "What to send: README.md, Quick start." : `What to send: examples/${example.name}/README.md`,
    "Stop: Ctrl+C",
    "",
  );
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { persist: { type: "boolean", default: false }, list: { type: "boolean", default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (values.list) {
    console.log(await list());
    return 0;
  }
  const [name, ...more] = positionals;
  if (name === undefined || more.length > 0) {
    const hint = name === "demo" && more.length === 1 ? `npm start runs the demo; for an example: npm run example -- ${more[0]}\n\n` : "";
    console.error(`${hint}Name one example.\n\n${await list()}`);
    return 2;
  }
  const example = await loadExample(name);
  if (example === undefined) {
    console.error(`No example "${name}".\n\n${await list()}`);
    return 2;
  }
  // Loaded only to run one: it loads wrangler, which takes seconds.
  const { runExample } = await import("./run-example.ts");
  const running = await runExample(example, { persistTo: values.persist ? persistedStateDir(name) : undefined, stdio: "inherit" });
  console.log(banner(example, running));
  const stop = () => {
    void running.stop();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  // A closed terminal: stop wrangler and delete the run's state as on Ctrl+C.
  process.once("SIGHUP", stop);
  await running.exited;
  await running.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`Could not start: ${errorMessage(error)}`);
    process.exitCode = 1;
  },
);
