/**
 * Reads the examples out of README.md and docs/*.md, so that tests can run
 * them: the config blocks (checked as check-config checks them) and the
 * commands followed by the answer they show (run and compared).
 *
 * The conventions, which docs/README.md states for writers:
 * - a ```toml block is an Idem config or a wrangler file, and is checked; a
 *   snippet that is neither whole says so with its info string, ```toml fragment;
 * - a ```sh block followed (only blank lines between) by an ```http or ```text
 *   block is a command with its answer: the test runs it and compares;
 * - in an answer, `…` stands for what differs between runs: any characters
 *   inside a line or a JSON string, any value where it is a whole JSON string,
 *   any number of lines where it is a line of its own. JSON objects show the
 *   members that matter; others may follow.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../../..");

export interface Block {
  /** `README.md` or `docs/erply.md`. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string's first word (`toml`, `sh`, `http`), and what follows it (`fragment`). */
  lang: string;
  attributes: string[];
  text: string;
}

/** A command and the answer shown after it. */
export interface Example {
  command: Block;
  answer: Block;
}

/** README.md and every page of docs/, as repository-relative paths. */
export function documentationFiles(): string[] {
  const docs = readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`);
  return ["README.md", ...docs];
}

/** Every fenced block of a markdown file, with whether only blank lines separate it from the block before it. */
export function blocksOf(file: string): (Block & { followsBlock: boolean })[] {
  const lines = readFileSync(join(root, file), "utf8").split("\n");
  const blocks: (Block & { followsBlock: boolean })[] = [];
  let lastClose = -2;
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})(.*)$/.exec(lines[i] ?? "");
    if (!open) continue;
    const [, indent = "", fence = "", info = ""] = open;
    const [lang = "", ...attributes] = info.trim().split(/\s+/);
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !(lines[j] ?? "").startsWith(`${indent}${fence}`)) {
      body.push((lines[j] ?? "").slice(indent.length));
      j++;
    }
    const between = lines.slice(lastClose + 1, i);
    blocks.push({
      file,
      line: i + 1,
      lang,
      attributes,
      text: body.join("\n"),
      followsBlock: lastClose >= 0 && between.every((l) => l.trim() === ""),
    });
    lastClose = j;
    i = j;
  }
  return blocks;
}

/** The commands with a shown answer, in page order. */
export function examplesOf(file: string): Example[] {
  const blocks = blocksOf(file);
  const examples: Example[] = [];
  blocks.forEach((block, i) => {
    const previous = blocks[i - 1];
    if ((block.lang === "http" || block.lang === "text") && block.followsBlock && previous?.lang === "sh") {
      examples.push({ command: previous, answer: block });
    }
  });
  return examples;
}

/** Where a block is, for messages: `docs/erply.md:120`. */
export const where = (block: Block) => `${block.file}:${block.line}`;

export const repositoryRoot = root;
export const relativeToRoot = (path: string) => relative(root, path);

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Whether a line (or a string) matches a shown one, where `…` stands for any characters. */
export function matchesText(shown: string, actual: string): boolean {
  return new RegExp(`^${shown.split("…").map(escapeRegExp).join(".*")}$`, "s").test(actual);
}

/** Whether lines match shown ones, where a line `…` stands for any number of lines. */
export function matchesLines(shown: readonly string[], actual: readonly string[]): boolean {
  const [first, ...rest] = shown;
  if (first === undefined) return actual.length === 0;
  if (first.trim() === "…") {
    for (let skip = 0; skip <= actual.length; skip++) {
      if (matchesLines(rest, actual.slice(skip))) return true;
    }
    return false;
  }
  const [line, ...others] = actual;
  return line !== undefined && matchesText(first.trimEnd(), line.trimEnd()) && matchesLines(rest, others);
}

/**
 * How a JSON value differs from the shape shown: an empty list when it fits.
 * A shown object's members must all be there (others may follow), arrays match
 * element by element, `"…"` fits any value, and `…` inside a string any characters.
 */
export function jsonMismatches(shown: unknown, actual: unknown, at = "body"): string[] {
  if (shown === "…") return [];
  if (typeof shown === "string") {
    return typeof actual === "string" && matchesText(shown, actual) ? [] : [`${at}: shown ${JSON.stringify(shown)}, got ${JSON.stringify(actual)}`];
  }
  if (Array.isArray(shown)) {
    if (!Array.isArray(actual)) return [`${at}: shown an array, got ${JSON.stringify(actual)}`];
    if (shown.length !== actual.length) return [`${at}: shown ${shown.length} elements, got ${actual.length}`];
    return shown.flatMap((element, i) => jsonMismatches(element, actual[i], `${at}[${i}]`));
  }
  if (shown !== null && typeof shown === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) return [`${at}: shown an object, got ${JSON.stringify(actual)}`];
    return Object.entries(shown).flatMap(([name, value]) =>
      name in actual ? jsonMismatches(value, (actual as Record<string, unknown>)[name], `${at}.${name}`) : [`${at}.${name}: missing`],
    );
  }
  return Object.is(shown, actual) ? [] : [`${at}: shown ${JSON.stringify(shown)}, got ${JSON.stringify(actual)}`];
}

/** The words of a shell command line, as a POSIX shell splits them (quotes and backslash-newlines). */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  const text = command.replace(/\\\n/g, " ");
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      word = (word ?? "") + text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let value = "";
      while (j < text.length && text[j] !== '"') {
        if (text[j] === "\\" && j + 1 < text.length) j++;
        value += text[j];
        j++;
      }
      word = (word ?? "") + value;
      i = j;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
