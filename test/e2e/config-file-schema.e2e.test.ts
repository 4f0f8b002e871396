import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";

const taploBin = join(dirname(createRequire(import.meta.url).resolve("@taplo/cli/package.json")), "dist", "cli.js");

/**
 * Runs taplo, the TOML toolkit behind the Even Better TOML editor extension, on a file: it validates the
 * file against the JSON Schema its `#:schema` directive names, as the editor does while completing it.
 */
function taploCheck(path: string): { code: number | null; output: string } {
  const result = spawnSync(process.execPath, [taploBin, "check", path], { encoding: "utf8" });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

const shippedConfigFiles = readdirSync("examples", { recursive: true, encoding: "utf8" })
  .filter((path) => path.endsWith("idem.config.toml"))
  .map((path) => join("examples", path));

describe("a config file's #:schema directive", () => {
  it.each(shippedConfigFiles)("validates %s in the editor's own TOML toolkit", (path) => {
    expect(taploCheck(path)).toMatchObject({ code: 0 });
  });

  it("marks a wrong field, in the top level and in an [env.<name>] section", () => {
    // Beside the examples, so the directive's relative path is the one a shipped file uses.
    const folder = mkdtempSync(join("examples", ".taplo-"));
    const path = join(folder, "idem.config.toml");
    writeFileSync(
      path,
      [
        "#:schema ../../idem.config.schema.json",
        'origin = "https://api.example.com"',
        'originTimeoutMs = "slow"',
        "routes = []",
        "[env.production]",
        'orign = "https://x.example"',
      ].join("\n"),
    );
    const { code, output } = taploCheck(path);
    rmSync(folder, { recursive: true });
    expect(code).not.toBe(0);
    expect(output).toContain('"slow" is not of type "integer"');
    expect(output).toContain("'orign' was unexpected");
  });
});
