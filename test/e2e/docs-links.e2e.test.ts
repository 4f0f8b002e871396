import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { expect, it } from "vitest";
import { documentationFiles, repositoryRoot } from "./support/markdown-examples.ts";

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens. */
function anchorsOf(file: string): Set<string> {
  const headings = readFileSync(join(repositoryRoot, file), "utf8").match(/^#+\s+.*$/gm) ?? [];
  return new Set(
    headings.map((heading) =>
      heading
        .replace(/^#+\s+/, "")
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\- _]/gu, "")
        .replace(/ /g, "-"),
    ),
  );
}

/** Every relative link of a page outside its code blocks, with its line. */
function linksOf(file: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  let inBlock = false;
  readFileSync(join(repositoryRoot, file), "utf8")
    .split("\n")
    .forEach((text, i) => {
      if (/^\s*```/.test(text)) inBlock = !inBlock;
      if (inBlock) return;
      for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1] ?? "";
        if (!/^(https?:|mailto:|<)/.test(target)) links.push({ line: i + 1, target });
      }
    });
  return links;
}

it("every relative link in README.md and docs/ reaches a file, and a heading when it names one", () => {
  const broken = documentationFiles().flatMap((file) =>
    linksOf(file).flatMap(({ line, target }) => {
      const [path = "", anchor] = target.split("#");
      const resolved = path === "" ? file : normalize(join(dirname(file), path));
      if (!existsSync(join(repositoryRoot, resolved))) return [`${file}:${line}: ${target} (no such file)`];
      if (anchor && resolved.endsWith(".md") && !anchorsOf(resolved).has(anchor)) return [`${file}:${line}: ${target} (no such heading)`];
      return [];
    }),
  );
  expect(broken).toEqual([]);
});
