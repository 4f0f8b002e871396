import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Json } from "miniflare";
import { describe, expect, it } from "vitest";
import { experimental_readRawConfig } from "wrangler";
import { startErplyOrigin } from "../../examples/erply/origin.ts";
import { idemConfigOf } from "../../harness/wrangler-config.ts";
import { erplyDedupProofs } from "../support/erply-dedup-proofs.ts";
import { useBundledStack } from "./support/stack.ts";

const EXAMPLE = "examples/erply/wrangler.toml";

interface IdemConfigTables {
  defaults?: Json;
  routes: { name: string; dedup?: Json[] }[];
}

/** The TOML block of docs/erply.md's "Erply's rules" section, parsed as wrangler parses wrangler.toml. */
function readmeErplyTables(): IdemConfigTables {
  const readme = readFileSync(new URL("../../docs/erply.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("## Erply's rules"));
  const block = /```toml[^\n]*\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('docs/erply.md has no TOML block in its "Erply\'s rules" section');
  const dir = mkdtempSync(join(tmpdir(), "idem-readme-"));
  try {
    const path = join(dir, "wrangler.toml");
    writeFileSync(path, `name = "readme"\n[vars.IDEM_CONFIG]\norigin = "http://127.0.0.1:1"\n\n${block}`);
    const vars = experimental_readRawConfig({ config: path }).rawConfig.vars as { IDEM_CONFIG: IdemConfigTables };
    return vars.IDEM_CONFIG;
  } finally {
    rmSync(dir, { recursive: true });
  }
}

describe("docs/erply.md's Erply rules", () => {
  it("are the shipped example's: its defaults and every route with dedup rules, as in examples/erply/wrangler.toml", () => {
    const shipped = idemConfigOf(EXAMPLE) as unknown as IdemConfigTables;
    const readme = readmeErplyTables();
    expect(readme.defaults).toEqual(shipped.defaults);
    expect(readme.routes).toEqual(shipped.routes.filter((route) => route.dedup !== undefined));
  });
});

// The example's bindings and config as shipped; only the origin's port differs.
const stack = useBundledStack({ origin: startErplyOrigin, example: EXAMPLE });

// The bundled Worker on Miniflare over real HTTP, in front of the Erply-like origin on 127.0.0.1.
erplyDedupProofs(() => ({ send: (request) => fetch(request), base: stack().worker.url.href, originUrl: stack().origin.url }));
