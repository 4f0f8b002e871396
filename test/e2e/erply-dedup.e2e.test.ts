import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Json } from "miniflare";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { experimental_readRawConfig } from "wrangler";
import { type BundledWorker, startBundledWorker } from "../../harness/bundled-worker.ts";
import { DUPLICATES, type ErplyCall, erplyForm, freshAccounts, NOT_DUPLICATES, sale } from "../fixtures/erply-dedup-cases.ts";
import { erplyDedupRoute } from "../fixtures/erply-dedup.ts";

/** The TOML block of README's "Duplicate documents without a key" section, parsed as wrangler parses wrangler.toml. */
function readmeErplyRoute(): Json {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("## Duplicate documents without a key"));
  const block = /```toml\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error("README has no TOML block in its dedup section");
  const dir = mkdtempSync(join(tmpdir(), "idem-readme-"));
  try {
    const path = join(dir, "wrangler.toml");
    writeFileSync(path, `name = "readme"\n[vars.IDEM_CONFIG]\norigin = "http://127.0.0.1:1"\n\n${block}`);
    const vars = experimental_readRawConfig({ config: path }).rawConfig.vars as { IDEM_CONFIG: { routes: Json[] } };
    return vars.IDEM_CONFIG.routes[0] ?? null;
  } finally {
    rmSync(dir, { recursive: true });
  }
}

interface ErplyOrigin {
  url: string;
  received: { tag: string | undefined; form: URLSearchParams }[];
  server: Server;
}

/**
 * A minimal Erply-like origin: `POST /api/` answers Erply's envelope with a
 * new document ID per execution, and with HTTP 200 + `responseStatus: "error"`
 * when the request carries `Erply-Error: <code>`.
 */
async function startErplyLikeOrigin(): Promise<ErplyOrigin> {
  const received: ErplyOrigin["received"] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
      received.push({ tag: req.headers["demo-tag"] as string | undefined, form });
      const seq = received.length;
      const request = form.get("request") ?? "";
      const errorCode = Number(req.headers["erply-error"] ?? 0);
      const records = request === "savePayment" ? [{ paymentID: seq }] : [{ invoiceID: seq, invoiceNo: form.get("invoiceNo") }];
      const body = {
        status: { request, requestUnixTime: Math.floor(Date.now() / 1000), responseStatus: errorCode ? "error" : "ok", errorCode },
        records: errorCode ? null : records,
      };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

let origin: ErplyOrigin;
let worker: BundledWorker;

beforeAll(async () => {
  origin = await startErplyLikeOrigin();
  worker = await startBundledWorker({ bundle: inject("bundlePath"), config: { origin: origin.url, routes: [readmeErplyRoute()] } });
});

afterAll(async () => {
  await worker?.dispose();
  origin?.server.closeAllConnections();
  await new Promise((resolve) => origin?.server.close(resolve));
});

function send(call: ErplyCall, tag: string, accounts: Record<"A" | "B", string>, headers: Record<string, string> = {}) {
  return fetch(new URL("/api/", worker.url), {
    method: "POST",
    headers: { ...headers, "content-type": "application/x-www-form-urlencoded", "demo-tag": tag },
    body: erplyForm(call, accounts),
  });
}

interface ErplyAnswer {
  status: { responseStatus: string; errorCode: number };
  records: { invoiceID: number }[] | null;
}

const executions = (tag: string) => origin.received.filter((r) => r.tag === tag).length;

describe("README's Erply rules", () => {
  it("are exactly the rules the workerd tests use (test/fixtures/erply-dedup.ts)", () => {
    expect(readmeErplyRoute()).toEqual(erplyDedupRoute);
  });
});

describe("README's Erply rules in the bundled Worker, in front of an Erply-like origin", () => {
  it.each(DUPLICATES)("caught: $case", async ({ first, second }) => {
    const tag = crypto.randomUUID();
    const accounts = freshAccounts();
    const original = await (await send(first, tag, accounts)).text();
    const copy = await send(second, tag, accounts);
    expect(copy.headers.get("idempotent-replayed")).toBe("true");
    expect(await copy.text()).toBe(original);
    expect(executions(tag)).toBe(1);
  });

  it.each(NOT_DUPLICATES)("not a duplicate: $case", async ({ first, second }) => {
    const tag = crypto.randomUUID();
    const accounts = freshAccounts();
    await send(first, tag, accounts);
    const b = await send(second, tag, accounts);
    expect(b.headers.get("idempotent-replayed")).toBeNull();
    expect(executions(tag)).toBe(2);
  });

  it("never stores Erply's HTTP 200 error as the original: the next copy is saved", async () => {
    const tag = crypto.randomUUID();
    const accounts = freshAccounts();
    const limited = await send(sale(), tag, accounts, { "erply-error": "1002" });
    expect(limited.status).toBe(200);
    expect(((await limited.json()) as ErplyAnswer).status.errorCode).toBe(1002);
    const saved = await send(sale(), tag, accounts);
    const savedBody = (await saved.json()) as ErplyAnswer;
    expect(saved.headers.get("idempotent-replayed")).toBeNull();
    expect(savedBody.status.responseStatus).toBe("ok");
    const copy = await send(sale(), tag, accounts);
    expect(copy.headers.get("idempotent-replayed")).toBe("true");
    expect(((await copy.json()) as ErplyAnswer).records?.[0]?.invoiceID).toBe(savedBody.records?.[0]?.invoiceID);
    expect(executions(tag)).toBe(2);
  });
});
