/**
 * The runnable setups of this repository, found by folder: the demo
 * (`demo/example.ts`) and one per folder of `examples/`, each declared in its
 * own `example.ts`. Adding an example is adding that one file; a folder of
 * `examples/` without it is an error, so none is silently left unrunnable.
 * `npm start` and `npm run example -- <name>` run them (scripts/start.ts).
 */
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Example } from "./example-declaration.ts";

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");

/** An example with where it was declared. */
export interface DeclaredExample extends Example {
  name: string;
  /** The declaring folder, absolute. */
  folder: string;
}

/** The folder whose `example.ts` declares `name`. */
function folderOf(name: string): string {
  return name === "demo" ? join(root, "demo") : join(root, "examples", name);
}

/**
 * Every runnable name: `demo`, then the folders of `examples/` in order.
 *
 * @example
 * exampleNames() // ["demo", "commerce", "erply", "printone", "stripe"]
 */
export function exampleNames(): string[] {
  const folders = readdirSync(join(root, "examples"), { withFileTypes: true }).filter((entry) => entry.isDirectory());
  return ["demo", ...folders.map((entry) => entry.name).sort()];
}

/**
 * Loads the declaration of `name`; undefined when no such example exists.
 *
 * @throws Error when the folder exists but declares nothing.
 * @example
 * const stripe = await loadExample("stripe");
 * stripe?.wranglerConfig // "wrangler.toml"
 */
export async function loadExample(name: string): Promise<DeclaredExample | undefined> {
  if (!exampleNames().includes(name)) return undefined;
  const folder = folderOf(name);
  const file = join(folder, "example.ts");
  if (!existsSync(file)) throw new Error(`${relative(root, folder)} has no example.ts declaring how to run it (see scripts/examples.ts)`);
  const declared = (await import(pathToFileURL(file).href)) as { default: Example };
  return { ...declared.default, name, folder };
}
