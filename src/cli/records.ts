/**
 * `idem records get|lookup|purge|resolve|list`: the admin API of a running
 * gateway (docs/admin-api.md) from a terminal. The gateway's URL and token come
 * from IDEM_URL and IDEM_ADMIN_TOKEN, or --url and --token.
 */

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { SHOWN_STATES } from "../model/record-states.ts";
import type { CheckResult } from "./check.ts";

const USAGE = `Usage: idem records <action> [options]   (the gateway: --url or IDEM_URL; its token: --token or IDEM_ADMIN_TOKEN)
  get <record> [--body]                        a record: state, times, stored status (--body: and the stored body)
  lookup --route R --key K [--scope "header:Authorization=Bearer alice" …] [--body]
                                               the record of a route, key and caller
  purge <record> [--force]                     forget a record, so the client's next retry runs at the origin
  resolve <record> --status N [--header "Name: value" …] [--body-text TEXT|@file]
                                               store the answer the origin gave to an outcome-unknown record
  list --state in-flight|outcome-unknown|completed [--limit N] [--json]
                                               the records in one state across every shard, all pages
  --prefix P                                   the admin prefix (admin.pathPrefix; default /__idem)`;

class UsageError extends Error {}

interface Admin {
  /** Sends one admin request; a problem answer (RFC 9457) becomes a failed result naming its kind and detail. */
  call(method: string, path: string, body?: unknown): Promise<{ ok: true; value: unknown } | { ok: false; text: string }>;
}

function adminClient(url: string, token: string, prefix: string): Admin {
  const base = new URL(url);
  return {
    async call(method, path, body) {
      const target = new URL(`${prefix.replace(/\/$/, "")}${path}`, base);
      let response: Response;
      try {
        response = await fetch(target, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (error) {
        const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
        return { ok: false, text: `${method} ${target}: no answer${cause}` };
      }
      const text = await response.text();
      let value: unknown = text;
      try {
        value = JSON.parse(text);
      } catch {
        // Not JSON: shown as it came.
      }
      if (response.ok) return { ok: true, value };
      const problem = value !== null && typeof value === "object" ? (value as { type?: unknown; title?: unknown; detail?: unknown }) : {};
      const kind = typeof problem.type === "string" ? ` ${problem.type.replace(/^.*\//, "")}` : "";
      const detail = typeof problem.detail === "string" ? problem.detail : typeof problem.title === "string" ? problem.title : text;
      return { ok: false, text: `${method} ${target.pathname}${target.search}: ${response.status}${kind}: ${detail}` };
    },
  };
}

const pretty = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value, null, 2));

function one(positionals: string[], what: string): string {
  const [value, ...extra] = positionals;
  if (value === undefined || extra.length > 0) throw new UsageError(`takes one ${what}`);
  return encodeURIComponent(value);
}

/** `Name=value` pairs of --scope, keyed by field ref. */
function scopeValues(pairs: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const equals = pair.indexOf("=");
      if (equals <= 0) throw new UsageError(`--scope takes "fieldref=value", e.g. "header:Authorization=Bearer alice"; got "${pair}"`);
      return [pair.slice(0, equals), pair.slice(equals + 1)];
    }),
  );
}

function headerPairs(lines: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    lines.map((line) => {
      const colon = line.indexOf(":");
      if (colon <= 0) throw new UsageError(`--header takes "Name: value"; got "${line}"`);
      return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
    }),
  );
}

const STATES: string[] = Object.values(SHOWN_STATES);

/** One line per record for `list`: what an operator scans for. */
function recordLine(record: unknown): string {
  if (record === null || typeof record !== "object") return JSON.stringify(record);
  const r = record as Record<string, unknown>;
  const outcome = r.outcome !== null && typeof r.outcome === "object" ? (r.outcome as Record<string, unknown>) : undefined;
  const response = r.response !== null && typeof r.response === "object" ? (r.response as Record<string, unknown>) : undefined;
  const what = outcome
    ? `${String(outcome.failure)}${outcome.detail ? ` (${String(outcome.detail)})` : ""}`
    : response
      ? `status ${String(response.status)}`
      : "";
  return [r.record, r.route, r.state, r.createdAt, what].map((cell) => String(cell ?? "")).join("  ");
}

async function list(admin: Admin, state: string | undefined, limit: string | undefined, json: boolean): Promise<CheckResult> {
  if (state === undefined || !STATES.includes(state)) throw new UsageError(`list takes --state ${STATES.join("|")}`);
  const lines: string[] = [];
  let cursor: string | null = null;
  let count = 0;
  do {
    const query = new URLSearchParams({ state, ...(limit === undefined ? {} : { limit }), ...(cursor === null ? {} : { cursor }) });
    const page = await admin.call("GET", `/records?${query}`);
    if (!page.ok) return { code: 1, stdout: lines.join("\n"), stderr: page.text };
    const { records, cursor: next } = page.value as { records: unknown[]; cursor: string | null };
    for (const record of records) lines.push(json ? JSON.stringify(record) : recordLine(record));
    count += records.length;
    cursor = next;
  } while (cursor !== null);
  if (!json) lines.push(`${count} ${state} record${count === 1 ? "" : "s"}`);
  return { code: 0, stdout: lines.join("\n"), stderr: "" };
}

async function records(argv: string[]): Promise<CheckResult> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      url: { type: "string" },
      token: { type: "string" },
      prefix: { type: "string", default: "/__idem" },
      body: { type: "boolean", default: false },
      route: { type: "string" },
      key: { type: "string", multiple: true },
      scope: { type: "string", multiple: true, default: [] },
      force: { type: "boolean", default: false },
      status: { type: "string" },
      header: { type: "string", multiple: true, default: [] },
      "body-text": { type: "string" },
      state: { type: "string" },
      limit: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const [action, ...rest] = positionals;
  if (values.help || action === undefined) return { code: values.help ? 0 : 2, stdout: values.help ? USAGE : "", stderr: values.help ? "" : USAGE };
  const url = values.url ?? process.env.IDEM_URL;
  const token = values.token ?? process.env.IDEM_ADMIN_TOKEN;
  if (!url || !URL.canParse(url)) throw new UsageError("the gateway's URL: --url https://api.example.com, or IDEM_URL");
  if (!token) throw new UsageError("the admin token: --token, or IDEM_ADMIN_TOKEN (the gateway's ADMIN_TOKEN secret)");
  const admin = adminClient(url, token, values.prefix);
  const body = values.body ? "?body=true" : "";
  let result: Awaited<ReturnType<Admin["call"]>>;
  switch (action) {
    case "get":
      result = await admin.call("GET", `/records/${one(rest, "record ID")}${body}`);
      break;
    case "lookup": {
      const key = values.key ?? [];
      if (values.route === undefined || key.length === 0)
        throw new UsageError("lookup takes --route and --key (a --key per field, in order, for a key built from several)");
      result = await admin.call("POST", `/records/lookup${body}`, {
        route: values.route,
        key: key.length === 1 ? key[0] : key,
        scope: scopeValues(values.scope),
      });
      break;
    }
    case "purge":
      result = await admin.call("DELETE", `/records/${one(rest, "record ID")}${values.force ? "?force=true" : ""}`);
      break;
    case "resolve": {
      const status = Number(values.status);
      if (!Number.isInteger(status)) throw new UsageError("resolve takes --status, the status the origin answered, e.g. 201");
      const text = values["body-text"];
      result = await admin.call("PUT", `/records/${one(rest, "record ID")}/response`, {
        status,
        headers: headerPairs(values.header),
        ...(text === undefined ? {} : { body: text.startsWith("@") ? readFileSync(text.slice(1), "utf8") : text }),
      });
      break;
    }
    case "list":
      return list(admin, values.state, values.limit, values.json);
    default:
      throw new UsageError(`unknown action "${action}"`);
  }
  return result.ok ? { code: 0, stdout: pretty(result.value), stderr: "" } : { code: 1, stdout: "", stderr: result.text };
}

/**
 * Runs `idem records` on command-line arguments and returns what it would
 * print: 0 when the gateway answered 2xx, 1 on a problem answer or no answer,
 * 2 on a usage mistake.
 *
 * @example
 * const { stdout } = await recordsCommand(["list", "--state", "outcome-unknown", "--url", "https://api.example.com", "--token", token]);
 */
export async function recordsCommand(argv: string[]): Promise<CheckResult> {
  try {
    return await records(argv);
  } catch (error) {
    const parseArgsError = error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS");
    if (!(error instanceof UsageError) && !parseArgsError) throw error;
    return { code: 2, stdout: "", stderr: `idem records: ${error.message}\n\n${USAGE}` };
  }
}
