import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { startOrdersOrigin } from "../../demo/orders-origin.ts";
import { startErplyOrigin } from "../../examples/erply/origin.ts";
import { startStripeOrigin } from "../../examples/stripe/origin.ts";
import { checkConfig } from "../../src/cli/check.ts";
import {
  type Block,
  blocksOf,
  documentationFiles,
  type Example,
  examplesOf,
  jsonMismatches,
  matchesLines,
  matchesText,
  repositoryRoot,
  shellWords,
  where,
} from "./support/markdown-examples.ts";
import { type Stack, useBundledStack } from "./support/stack.ts";

/**
 * Every command in README.md and docs/*.md that shows its answer (a ```sh
 * block followed by an ```http or ```text block) is run here, in page order,
 * and its answer compared: the status, each header shown, and the body's shape
 * (support/markdown-examples.ts says how `…` reads). curl commands run as
 * written, through bash, against the page's stack: the bundled Worker and its
 * demo origin, with the ports the page names (8787, 8788) replaced by theirs.
 * check-config commands run in this process.
 */

const run = promisify(execFile);

/** The admin token of the stacks that turn the admin API on; commands read it from IDEM_ADMIN_TOKEN, as the pages say. */
const ADMIN_TOKEN = "docs-examples-admin-token-5e0c9a7d31f2b846";

type AnyStack = Stack<{ url: string; close(): Promise<void> }>;

/** The stack each page's commands run against: what `npm start` or `npm run example -- <name>` starts. */
const STACKS: Record<string, () => () => AnyStack> = {
  "README.md": () => useBundledStack({ origin: startOrdersOrigin, example: "wrangler.toml" }),
  "docs/admin-api.md": () => useBundledStack({ origin: startOrdersOrigin, example: "wrangler.toml", bindings: { ADMIN_TOKEN } }),
  "docs/erply.md": () => useBundledStack({ origin: startErplyOrigin, example: "examples/erply/wrangler.toml" }),
  "docs/printone.md": () => useBundledStack({ origin: startOrdersOrigin, example: "examples/printone/wrangler.toml" }),
  "docs/stripe.md": () => useBundledStack({ origin: startStripeOrigin, example: "examples/stripe/wrangler.toml" }),
};

interface Answer {
  status?: number;
  headers: [string, string][];
  body: string;
}

/** An HTTP answer as curl -i prints it, or as a page shows it; without a status line, the body alone. */
function parseAnswer(text: string): Answer {
  const normalized = text.replace(/\r\n/g, "\n").replace(/^\n+/, "");
  // curl -i prints one head per response it reads (an interim 100 Continue included): the last one counts.
  const heads = normalized.split(/(?=^HTTP\/[\d.]+ \d{3})/m).filter((part) => part.startsWith("HTTP/"));
  const last = heads.at(-1);
  if (last === undefined) return { headers: [], body: normalized.trim() };
  const end = last.indexOf("\n\n");
  const head = end === -1 ? last : last.slice(0, end);
  const [statusLine = "", ...headerLines] = head.split("\n");
  return {
    status: Number(statusLine.split(" ")[1]),
    headers: headerLines.map((line): [string, string] => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
    }),
    body: end === -1 ? "" : last.slice(end + 2).trim(),
  };
}

/** How the actual answer differs from the one shown: an empty list when it fits. */
function answerMismatches(shown: Answer, actual: Answer): string[] {
  const problems: string[] = [];
  if (shown.status !== undefined && shown.status !== actual.status) problems.push(`status: shown ${shown.status}, got ${actual.status}`);
  for (const [name, value] of shown.headers) {
    const got = actual.headers.filter(([n]) => n === name).map(([, v]) => v);
    if (!got.some((v) => matchesText(value, v)))
      problems.push(`header ${name}: shown "${value}", got ${got.length ? got.map((v) => `"${v}"`).join(", ") : "none"}`);
  }
  if (shown.body === "") return problems;
  let shownJson: unknown;
  try {
    shownJson = JSON.parse(shown.body);
  } catch {
    if (!matchesLines(shown.body.split("\n"), actual.body.split("\n"))) problems.push(`body: shown\n${shown.body}\ngot\n${actual.body}`);
    return problems;
  }
  try {
    problems.push(...jsonMismatches(shownJson, JSON.parse(actual.body)));
  } catch {
    problems.push(`body: shown JSON, got ${actual.body.slice(0, 300)}`);
  }
  return problems;
}

/** Runs `npm run check-config -- …` as the CLI would, in this process; returns what it prints. */
async function runCheckConfig(command: Block): Promise<string> {
  const words = shellWords(command.text.replace(/^#.*$/gm, ""));
  const start = words.indexOf("--");
  if (words.slice(0, 3).join(" ") !== "npm run check-config" || start !== 3) {
    throw new Error(`${where(command)}: a command with a shown answer runs curl, or npm run check-config -- …`);
  }
  const result = await checkConfig(words.slice(start + 1));
  return [result.stdout, result.stderr].filter(Boolean).join("\n");
}

/** Runs a shell block through bash against the stack: the page's ports are the stack's. */
async function runShell(command: Block, stack: AnyStack): Promise<string> {
  const worker = stack.worker.url.host;
  const origin = new URL(stack.origin.url).host;
  const script = command.text.replace(/(localhost|127\.0\.0\.1):8787/g, worker).replace(/(localhost|127\.0\.0\.1):8788/g, origin);
  const { stdout } = await run("bash", ["-euo", "pipefail", "-c", script], {
    cwd: repositoryRoot,
    env: { ...process.env, IDEM_ADMIN_TOKEN: ADMIN_TOKEN },
    timeout: 30_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

async function check(example: Example, stack: (() => AnyStack) | undefined): Promise<string[]> {
  const { command, answer } = example;
  if (/npm run check-config/.test(command.text)) {
    const printed = await runCheckConfig(command);
    return matchesLines(answer.text.split("\n"), printed.split("\n")) ? [] : [`printed:\n${printed}`];
  }
  if (!stack) throw new Error(`${where(command)}: this page shows answers to requests, but the test names no stack for it (STACKS)`);
  return answerMismatches(parseAnswer(answer.text), parseAnswer(await runShell(command, stack())));
}

const pages = documentationFiles().map((file) => ({ file, examples: examplesOf(file) }));

it("finds the examples, so a broken convention cannot silently run nothing", () => {
  const readme = pages.find((page) => page.file === "README.md");
  expect(readme?.examples.length).toBeGreaterThanOrEqual(5);
  expect(pages.flatMap((page) => page.examples).some((e) => /check-config/.test(e.command.text))).toBe(true);
});

it("shows answers only after the command that gives them, never as comments inside it", () => {
  const commented = pages.flatMap(({ file }) =>
    blocksOf(file).flatMap((block) => (block.lang === "sh" && /^\s*#\s*(→|HTTP\/|\{")/m.test(block.text) ? [where(block)] : [])),
  );
  expect(commented).toEqual([]);
});

for (const { file, examples } of pages.filter((page) => page.examples.length > 0)) {
  describe(file, () => {
    const needsStack = examples.some((e) => !/npm run check-config/.test(e.command.text));
    const stack = needsStack ? STACKS[file]?.() : undefined;
    for (const example of examples) {
      it(`${where(example.command)} answers as ${where(example.answer)} shows`, async () => {
        expect(await check(example, stack)).toEqual([]);
      });
    }
  });
}
