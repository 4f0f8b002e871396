import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { afterAll, describe, expect, it } from "vitest";
import { checkConfig } from "../../src/cli/check.ts";
import { ADMIN_ERROR_CATALOG, ERROR_CATALOG } from "../../src/errors/catalog.ts";
import { jsonMismatches, repositoryRoot } from "./support/markdown-examples.ts";

/**
 * The defaults docs/configuration.md states in its "Top level" and "Routes"
 * tables are the ones the gateway applies: each row whose default is a TOML
 * value in code (`"replay"`, `[408, 409, 425, 429]`, `{ format = "problem" }`)
 * or "none" is compared with the effective config check-config prints for a
 * config that sets nothing else. A default described in words ("the route
 * name", `originTimeoutMs + 5000`) is not a value, and is left to the reader.
 */

const dir = mkdtempSync(join(tmpdir(), "idem-docs-reference-"));
afterAll(() => rmSync(dir, { recursive: true }));

interface Row {
  field: string;
  stated: string;
}

/** The `| field | default | meaning |` rows of one of the page's tables. */
function rowsOf(section: string): Row[] {
  const page = readFileSync(join(repositoryRoot, "docs/configuration.md"), "utf8");
  const start = page.indexOf(`\n## ${section}\n`);
  if (start === -1) throw new Error(`docs/configuration.md has no "## ${section}" section`);
  const end = page.indexOf("\n## ", start + 1);
  return [...page.slice(start, end === -1 ? undefined : end).matchAll(/^\| `([\w.$]+)` +\| ([^|]+?) +\|/gm)].map((m) => ({
    field: m[1] ?? "",
    stated: m[2] ?? "",
  }));
}

type Stated = { kind: "value"; value: unknown } | { kind: "none" } | { kind: "words" };

function readStated(stated: string): Stated {
  if (stated === "none") return { kind: "none" };
  const code = /^`([^`]+)`$/.exec(stated)?.[1];
  if (code === undefined) return { kind: "words" };
  try {
    return { kind: "value", value: parseToml(`value = ${code}`).value };
  } catch {
    return { kind: "words" };
  }
}

async function effective(config: string): Promise<Record<string, unknown>> {
  const folder = mkdtempSync(join(dir, "config-"));
  writeFileSync(join(folder, "idem.config.toml"), config);
  const result = await checkConfig(["--json", "--config", join(folder, "idem.config.toml")]);
  expect(result.stderr).toBe("");
  return (JSON.parse(result.stdout) as { config: Record<string, unknown> }).config;
}

const at = (value: unknown, path: string): unknown =>
  path.split(".").reduce<unknown>((v, part) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[part] : undefined), value);

const isEmpty = (value: unknown) =>
  value === undefined ||
  value === null ||
  (Array.isArray(value) && value.length === 0) ||
  (typeof value === "object" && Object.keys(value).length === 0);

function mismatch(row: Row, actual: unknown): string[] {
  const stated = readStated(row.stated);
  if (stated.kind === "words") return [];
  if (stated.kind === "none") return isEmpty(actual) ? [] : [`${row.field}: stated none, applied ${JSON.stringify(actual)}`];
  return jsonMismatches(stated.value, actual, row.field);
}

const ORIGIN = 'origin = "https://api.example.com"\n';

describe("docs/configuration.md's defaults", () => {
  it("of the top level are the ones the gateway applies", async () => {
    const config = await effective(`${ORIGIN}[[routes]]\nname = "r"\npath = "/r"\n`);
    const rows = rowsOf("Top level");
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.flatMap((row) => mismatch(row, at(config, row.field)))).toEqual([]);
  });

  it("of a route are the ones the gateway applies", async () => {
    // A route with a document, for the document.* rows; a plain one for the rest.
    const config = await effective(
      `${ORIGIN}[[routes]]\nname = "r"\npath = "/r"\n\n[[routes]]\nname = "d"\npath = "/d/:id"\ndocument = { id = "path:id" }\n`,
    );
    const [plain, withDocument] = config.routes as unknown[];
    const rows = rowsOf("Routes");
    expect(rows.length).toBeGreaterThan(20);
    expect(rows.filter((row) => readStated(row.stated).kind === "value").length).toBeGreaterThan(10);
    const problems = rows.flatMap((row) => {
      const route = row.field.startsWith("document.") && readStated(row.stated).kind === "value" ? withDocument : plain;
      return mismatch(row, at(route, row.field));
    });
    expect(problems).toEqual([]);
  });
});

describe("docs/errors.md and docs/admin-api.md", () => {
  const page = (file: string) => readFileSync(join(repositoryRoot, file), "utf8");

  it("list every problem kind the gateway answers, with its status and Erply code", () => {
    const rows = new Map(
      [...page("docs/errors.md").matchAll(/^\| `urn:idem:problem:([\w-]+)` +\| ([^|]+?) +\| ([^|]+?) +\|/gm)].map((m) => [
        m[1],
        { status: m[2] ?? "", erply: m[3] ?? "" },
      ]),
    );
    const problems = Object.entries(ERROR_CATALOG).flatMap(([kind, info]) => {
      const row = rows.get(kind);
      if (!row) return [`${kind}: no row`];
      const statuses = row.status.split("/").map(Number);
      const erply = info.erplyCode === undefined ? "—" : String(info.erplyCode);
      return [
        ...(statuses.includes(info.status) ? [] : [`${kind}: status ${row.status}, the gateway's is ${info.status}`]),
        ...(row.erply === erply ? [] : [`${kind}: Erply code ${row.erply}, the gateway's is ${erply}`]),
      ];
    });
    expect(problems).toEqual([]);
  });

  it("name every admin problem kind with its status", () => {
    const text = page("docs/admin-api.md");
    const missing = Object.entries(ADMIN_ERROR_CATALOG).flatMap(([kind, info]) =>
      text.includes(`\`${kind}\` ${info.status}`) ? [] : [`${kind} ${info.status}`],
    );
    expect(missing).toEqual([]);
  });
});

describe("README.md's install commands", () => {
  it("name the tarball npm pack writes for this version", () => {
    const { name, version } = JSON.parse(readFileSync(join(repositoryRoot, "package.json"), "utf8")) as { name: string; version: string };
    const readme = readFileSync(join(repositoryRoot, "README.md"), "utf8");
    const named = [...readme.matchAll(/idem-gateway-[\w.-]+?\.tgz/g)].map((m) => m[0]);
    expect(named.length).toBeGreaterThan(0);
    expect(new Set(named)).toEqual(new Set([`${name}-${version}.tgz`]));
  });
});
