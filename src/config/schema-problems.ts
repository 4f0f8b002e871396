import * as v from "valibot";
import { configSchema, type ParsedConfig } from "./schema.ts";

/**
 * Turns what the config schema finds wrong into problems a user can act on:
 * each names the field by its path, with routes and dedup rules named by
 * their `name` (`routes["create-order"].key.requried`); every unknown field
 * is reported, not only the first of each table; a near miss of an allowed
 * field name gets "did you mean".
 */

/** Names Idem accepts for routes and dedup rules; only such a name can label a list element. */
const ELEMENT_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * How a problem names the element `index` of `list`: by its `name` when it has
 * one no other element of the list shares (`["create-order"]`), else by index.
 *
 * @example
 * elementLabel([{ name: "a" }, { name: "b" }], 1) // '["b"]'
 * elementLabel(["header:X"], 0) // "[0]"
 */
export function elementLabel(list: unknown, index: number): string {
  const nameOf = (item: unknown) => (item !== null && typeof item === "object" && "name" in item ? item.name : undefined);
  const name = Array.isArray(list) ? nameOf(list[index]) : undefined;
  if (typeof name !== "string" || !ELEMENT_NAME.test(name)) return `[${index}]`;
  const shared = (list as unknown[]).filter((item) => nameOf(item) === name).length > 1;
  return shared ? `[${index}]` : `[${JSON.stringify(name)}]`;
}

function pathText(path: readonly v.IssuePathItem[]): string {
  let out = "";
  for (const item of path) {
    const key = item.key;
    if (typeof key === "number") out += elementLabel(item.input, key);
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(config)" : out;
}

/** An issue and its full path. A union reports "Invalid type"; the useful issue is nested in it. */
interface Located {
  issue: v.BaseIssue<unknown>;
  path: v.IssuePathItem[];
}

function locate(issue: v.BaseIssue<unknown>, prefix: v.IssuePathItem[] = []): Located {
  const path = [...prefix, ...(issue.path ?? [])];
  // The branch the value got furthest into has a path of its own; else the first. Nested paths are relative to the union.
  const nested = issue.issues?.find((n) => n.path?.length) ?? issue.issues?.[0];
  if (nested && issue.type === "union") return locate({ ...nested, path: undefined }, [...path, ...(nested.path ?? [])]);
  return { issue, path };
}

const isUnknownField = ({ issue, path }: Located) => issue.type === "strict_object" && issue.expected === "never" && path.length > 0;

/** The parts of a schema a value could meet: through optional wrappers and the branches of unions. */
type SchemaNode = {
  type: string;
  entries?: Record<string, SchemaNode>;
  item?: SchemaNode;
  value?: SchemaNode;
  wrapped?: SchemaNode;
  options?: SchemaNode[];
};

function alternatives(node: SchemaNode): SchemaNode[] {
  if (node.wrapped) return alternatives(node.wrapped);
  if (node.type === "union" && node.options) return node.options.flatMap(alternatives);
  return [node];
}

/** The field names the table at `keys` takes (every table the schema allows there). */
function fieldsAt(keys: readonly (string | number)[]): string[] {
  let nodes = [configSchema as unknown as SchemaNode];
  for (const key of keys) {
    nodes = nodes.flatMap(alternatives).flatMap((node) => {
      if (typeof key === "number") return node.item ? [node.item] : [];
      if (node.entries) return node.entries[key] ? [node.entries[key]] : [];
      return node.type === "record" && node.value ? [node.value] : [];
    });
  }
  return [...new Set(nodes.flatMap(alternatives).flatMap((node) => Object.keys(node.entries ?? {})))];
}

/** Edits (insert, delete, replace, swap two neighbours) between two names, ignoring case. */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const row = d[i] as number[];
      const above = d[i - 1] as number[];
      row[j] = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + (s[i - 1] === t[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[s.length] as number[])[t.length] as number;
}

/**
 * The allowed name a misspelt one most likely meant: at most one edit away for
 * short names, two for names of five characters or more; undefined when none is that close.
 *
 * @example
 * nearMiss("requried", ["source", "required", "pattern"]) // "required"
 */
export function nearMiss(name: string, allowed: readonly string[]): string | undefined {
  const limit = name.length >= 5 ? 2 : 1;
  let best: { field: string; edits: number } | undefined;
  for (const field of allowed) {
    const edits = distance(name, field);
    if (edits <= limit && (best === undefined || edits < best.edits)) best = { field, edits };
  }
  return best?.field;
}

/** The most allowed names an unknown-field problem lists; a table with more points to the reference instead. */
const LISTED_FIELDS = 10;

function unknownFieldText({ path }: Located): string {
  const keys = path.map((item) => item.key as string | number);
  const name = String(keys.at(-1));
  const allowed = fieldsAt(keys.slice(0, -1));
  const meant = nearMiss(name, allowed);
  if (meant !== undefined) return `${pathText(path)}: unknown field; did you mean "${meant}"?`;
  if (allowed.length > 0 && allowed.length <= LISTED_FIELDS) return `${pathText(path)}: unknown field (this table takes: ${allowed.join(", ")})`;
  return `${pathText(path)}: unknown field (check the spelling; docs/configuration.md lists every field)`;
}

function problemText(located: Located): string {
  const { issue, path } = located;
  if (isUnknownField(located)) return unknownFieldText(located);
  // A strict object also reports a required key that is missing.
  if (issue.type === "strict_object" && path.length > 0) return `${pathText(path)}: is required`;
  const message = issue.message.startsWith("Invalid ") ? issue.message.replace(/^Invalid /, "invalid ") : issue.message;
  return `${pathText(path)}: ${message}`;
}

/**
 * Checks a config against the schema. A strict table reports only the first
 * field it does not know, so each one found is set aside and the rest checked
 * again, until every unknown field is named.
 *
 * @example
 * checkSchema({ origin: "https://api.example.com", routes: [{ name: "a", path: "/a", ttlSecond: 5, mdoe: "reject" }] })
 * // { problems: ['routes["a"].ttlSecond: unknown field; did you mean "ttlSeconds"?', 'routes["a"].mdoe: unknown field; did you mean "mode"?'] }
 */
export function checkSchema(input: unknown): { config: ParsedConfig } | { problems: string[] } {
  // A copy: unknown fields are deleted from it as they are found.
  const current = structuredClone(input);
  const unknown: string[] = [];
  for (;;) {
    const result = v.safeParse(configSchema, current);
    const located = result.success ? [] : result.issues.map((issue) => locate(issue));
    const found = located.filter(isUnknownField);
    if (found.length === 0) {
      const problems = [...unknown, ...located.map(problemText)];
      if (problems.length > 0) return { problems };
      return { config: result.output as ParsedConfig };
    }
    for (const item of found) {
      unknown.push(problemText(item));
      const last = item.path.at(-1) as v.IssuePathItem;
      delete (last.input as Record<string, unknown>)[last.key as string];
    }
  }
}
