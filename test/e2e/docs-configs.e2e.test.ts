import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkConfig } from "../../src/cli/check.ts";
import { type Block, blocksOf, documentationFiles, repositoryRoot, where } from "./support/markdown-examples.ts";

/**
 * Every ```toml block of README.md and docs/*.md passes check-config, run in
 * this process on the block as written: an Idem config as idem.config.toml (a
 * ```json block naming Idem's schema as idem.config.json), a
 * wrangler file as wrangler.toml (with the page's Idem config block before it
 * as the file its alias bundles), a `[vars.IDEM_CONFIG]` snippet inside a
 * minimal wrangler file. A snippet that is none of these says so
 * (```toml fragment) and is the only kind not checked.
 */

const dir = mkdtempSync(join(tmpdir(), "idem-docs-configs-"));
afterAll(() => rmSync(dir, { recursive: true }));

type Kind = "wrangler file" | "IDEM_CONFIG variable" | "Idem config" | "Idem config (JSON)";

/** A ```json block that names Idem's schema is a JSON config (idem.config.json); other JSON blocks are logs and bodies. */
const isJsonConfig = (block: Block) => block.lang === "json" && /"\$schema":\s*"[^"]*idem\.config\.schema\.json"/.test(block.text);

function kindOf(block: Block): Kind {
  if (/^main\s*=/m.test(block.text)) return "wrangler file";
  if (/^\[\[?vars\.IDEM_CONFIG[\].]/m.test(block.text)) return "IDEM_CONFIG variable";
  return "Idem config";
}

/** Writes the block where check-config can read it, as the kind of file it is; returns the path to check. */
function fileFor(block: Block, kind: Kind, previousConfig: Block | undefined, n: number): string {
  const folder = join(dir, String(n));
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  if (kind === "Idem config" || kind === "Idem config (JSON)") {
    const path = join(folder, kind === "Idem config" ? "idem.config.toml" : "idem.config.json");
    writeFileSync(path, block.text);
    return path;
  }
  let text = block.text;
  if (kind === "wrangler file") {
    // main and the schema line name paths relative to where the page's reader keeps the file; the check needs neither.
    text = text.replace(/^main\s*=.*$/m, `main = ${JSON.stringify(join(repositoryRoot, "src/worker/configured-worker.ts"))}`);
    if (/"#idem-config"/.test(text)) {
      if (!previousConfig) throw new Error(`${where(block)}: bundles an Idem config file, but no Idem config block comes before it`);
      writeFileSync(join(folder, "idem.config.toml"), previousConfig.text);
      text = text.replace(/("#idem-config"\s*=\s*)"[^"]*"/, '$1"./idem.config.toml"');
    }
  } else {
    text = `name = "docs"\nmain = ${JSON.stringify(join(repositoryRoot, "src/worker/configured-worker.ts"))}\ncompatibility_date = "2026-11-01"\n\n${text}`;
  }
  const path = join(folder, "wrangler.toml");
  writeFileSync(path, text);
  return path;
}

const configBlocks = documentationFiles().flatMap((file) => {
  let previousConfig: Block | undefined;
  return blocksOf(file)
    .filter((block) => block.lang === "toml" || isJsonConfig(block))
    .map((block) => {
      const kind = block.lang === "json" ? "Idem config (JSON)" : block.attributes.includes("fragment") ? undefined : kindOf(block);
      const entry = { block, kind, previousConfig };
      if (kind === "Idem config") previousConfig = block;
      return entry;
    });
});

describe("config blocks in README.md and docs/", () => {
  it("are found, so a broken convention cannot silently check nothing", () => {
    expect(configBlocks.filter((b) => b.kind !== undefined).length).toBeGreaterThanOrEqual(4);
    expect(configBlocks.some((b) => b.block.file === "README.md" && b.kind === "Idem config")).toBe(true);
  });

  it.each(configBlocks.map((entry, n) => ({ ...entry, n, name: `${where(entry.block)} (${entry.kind ?? "fragment"})` })))(
    "$name passes check-config",
    async ({ block, kind, previousConfig, n }) => {
      if (kind === undefined) {
        // A fragment must not be a whole config in disguise: those are checked.
        expect(/^origin\s*=/m.test(block.text) && /^\[\[routes\]\]/m.test(block.text), `${where(block)} is a whole config marked fragment`).toBe(
          false,
        );
        return;
      }
      const result = await checkConfig(["--config", fileFor(block, kind, previousConfig, n)]);
      expect(result.stderr, `${where(block)} (${kind})`).toBe("");
      expect(result.code).toBe(0);
    },
  );
});
