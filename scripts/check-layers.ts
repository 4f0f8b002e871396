/**
 * Checks the imports of src/ against the layer table of docs/architecture.md
 * ("## Layers"), the one place the layers are written:
 *
 *   npm run check-layers   (also part of npm run lint)
 *
 * A row's folders may import from their own row and from the folders its
 * "imports" column names; those must be rows below it, so the layers cannot
 * form a loop. Every file of src/ must belong to a row. No import cycle is
 * allowed between files either, except through `src/env.ts`: the Worker's
 * bindings name the object classes, and any layer may import them type-only.
 * Exits 1 and names each offending import.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ARCHITECTURE = join(ROOT, "docs/architecture.md");

/** The bindings file: importable type-only from any layer, and the one cycle allowed. */
const BINDINGS = "src/env.ts";

/** One row of the layer table. */
export interface Layer {
  /** Folders (`src/plan/`) and files (`src/index.ts`) of the row. */
  units: string[];
  /** Units of the rows it may import from; `"*"` for everything. */
  imports: string[];
}

/** One import of one file, resolved to a path relative to the repository. */
export interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

/**
 * The layer table of docs/architecture.md, top row first. The "imports"
 * column is a comma-separated list of folders and files under src/ (notes in
 * parentheses are ignored), `everything`, or `each other only`.
 *
 * @example
 * parseLayers("## Layers\n| folder | job | imports |\n|-|-|-|\n| `src/plan/` | planning | config, http (ranges) |\n")
 * // [{ units: ["src/plan/"], imports: ["src/config/", "src/http/"] }]
 */
export function parseLayers(markdown: string): Layer[] {
  const section = markdown.split(/^## Layers$/m)[1]?.split(/^## /m)[0] ?? "";
  const rows = section.split("\n").filter((line) => line.startsWith("|"));
  return rows.slice(2).map((row) => {
    const [folders = "", , imports = ""] = row.split("|").slice(1, -1);
    const units = [...folders.matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? "");
    const words = imports.replace(/\([^)]*\)/g, "").trim();
    if (words === "everything") return { units, imports: ["*"] };
    if (words === "each other only") return { units, imports: [] };
    return {
      units,
      imports: words
        .split(",")
        .map((word) => word.trim())
        .filter(Boolean)
        .map((word) => (word.endsWith(".ts") ? `src/${word}` : `src/${word}/`)),
    };
  });
}

/**
 * The relative imports and re-exports of a TypeScript source, `type`-only or not.
 *
 * @example
 * importsOf('import type { A } from "./a.ts";\nexport { b } from "../b.ts";')
 * // [{ specifier: "./a.ts", typeOnly: true }, { specifier: "../b.ts", typeOnly: false }]
 */
export function importsOf(source: string): { specifier: string; typeOnly: boolean }[] {
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const statement = /^(?:import|export)\s+(type\s+)?([^;]*?)\s*from\s*["']([^"']+)["']|^import\s*["']([^"']+)["']/gm;
  for (const match of source.matchAll(statement)) {
    const specifier = match[3] ?? match[4] ?? "";
    if (!specifier.startsWith(".")) continue;
    const names = match[2] ?? "";
    // `import { type A, type B }` erases as fully as `import type { A, B }`.
    const inlineTypes =
      /^\{[^}]*\}$/.test(names.trim()) &&
      names
        .slice(1, -1)
        .split(",")
        .every((name) => /^\s*(type\s|$)/.test(name));
    found.push({ specifier, typeOnly: match[1] !== undefined || (names !== "" && inlineTypes) });
  }
  for (const match of source.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) {
    const specifier = match[1] ?? "";
    // A `typeof import("…")` or `import("…").T` in a type position still ties the two files.
    if (specifier.startsWith(".")) found.push({ specifier, typeOnly: false });
  }
  return found;
}

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { withFileTypes: true }).flatMap((entry) => {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

function unitOf(file: string, layers: Layer[]): { layer: number; unit: string } | undefined {
  for (const [layer, { units }] of layers.entries()) {
    const unit = units.find((candidate) => (candidate.endsWith("/") ? file.startsWith(candidate) : file === candidate));
    if (unit !== undefined) return { layer, unit };
  }
  return undefined;
}

/**
 * What breaks the table: the table's own mistakes, files in no row, imports
 * a row does not allow, and import cycles.
 *
 * @example
 * layerProblems(parseLayers(readFileSync("docs/architecture.md", "utf8")), imports) // [] when all is well
 */
export function layerProblems(layers: Layer[], imports: Import[], files: string[]): string[] {
  const problems: string[] = [];
  const known = new Set(layers.flatMap(({ units }) => units));
  for (const [index, layer] of layers.entries()) {
    for (const target of layer.imports) {
      if (target === "*") continue;
      const below = layers.slice(index + 1).some(({ units }) => units.includes(target));
      if (!below)
        problems.push(
          `docs/architecture.md: the row of ${layer.units.join(", ")} imports ${target}, which is ${known.has(target) ? "not below it" : "no row of the table"}`,
        );
    }
  }
  for (const file of files) {
    if (unitOf(file, layers) === undefined) problems.push(`${file}: in no row of docs/architecture.md's layer table`);
  }
  for (const { from, to, typeOnly } of imports) {
    if (to === BINDINGS && typeOnly) continue;
    const source = unitOf(from, layers);
    const target = unitOf(to, layers);
    if (source === undefined || target === undefined || source.layer === target.layer) continue;
    const allowed = layers[source.layer]?.imports ?? [];
    if (allowed.includes("*") || allowed.includes(target.unit)) continue;
    problems.push(`${from} imports ${to}: ${source.unit} may import only ${allowed.length === 0 ? "its own row" : allowed.join(", ")}`);
  }
  for (const cycle of cycles(imports.filter(({ from, to }) => from !== BINDINGS && to !== BINDINGS))) {
    problems.push(`import cycle: ${[...cycle, cycle[0]].join(" → ")}`);
  }
  return problems;
}

/** Each strongly connected group of more than one file, as one path around it. */
function cycles(imports: Import[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of imports) next.set(from, [...(next.get(from) ?? []), to]);
  const found: string[][] = [];
  const done = new Set<string>();
  // A depth-first walk; each cycle is reported once, from the first file that reaches it.
  const walk = (file: string, path: string[]): void => {
    const at = path.indexOf(file);
    if (at >= 0) {
      const cycle = path.slice(at);
      const key = [...cycle].sort().join(" ");
      if (!found.some((seen) => [...seen].sort().join(" ") === key)) found.push(cycle);
      return;
    }
    if (done.has(file)) return;
    for (const target of next.get(file) ?? []) walk(target, [...path, file]);
    done.add(file);
  };
  for (const file of [...next.keys()].sort()) walk(file, []);
  return found;
}

/** Every relative import of src/, resolved. */
export function sourceImports(files: string[]): Import[] {
  return files.flatMap((from) =>
    importsOf(readFileSync(join(ROOT, from), "utf8")).map(({ specifier, typeOnly }) => ({
      from,
      to: relative(ROOT, resolve(ROOT, dirname(from), specifier)),
      typeOnly,
    })),
  );
}

/**
 * The repository's own check: src/ against docs/architecture.md's table.
 *
 * @example
 * checkLayers() // { files: 94, problems: [] }
 */
export function checkLayers(): { files: number; problems: string[] } {
  const files = sourceFiles("src");
  return { files: files.length, problems: layerProblems(parseLayers(readFileSync(ARCHITECTURE, "utf8")), sourceImports(files), files) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { files, problems } = checkLayers();
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) process.exit(1);
  console.log(`layers: ${files} files of src/ import only as docs/architecture.md's layer table allows, with no cycle`);
}
