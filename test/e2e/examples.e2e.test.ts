import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { SampleRequest } from "../../scripts/example-declaration.ts";
import { type DeclaredExample, exampleNames, loadExample } from "../../scripts/examples.ts";
import { type RunningExample, runExample } from "../../scripts/run-example.ts";

/**
 * Every example, started the way `npm start` and `npm run example -- <name>`
 * start it (its demo origins, bound Workers and secrets, `wrangler dev`),
 * on free ports. Each start takes a few seconds: the tests start as few as
 * they can.
 */

async function declared(name: string): Promise<DeclaredExample> {
  const example = await loadExample(name);
  if (!example) throw new Error(`no example ${name}`);
  return example;
}

function send(running: RunningExample, sample: SampleRequest): Promise<Response> {
  const headers = new Headers(sample.headers);
  if (sample.json !== undefined) headers.set("content-type", "application/json");
  if (sample.form !== undefined) headers.set("content-type", "application/x-www-form-urlencoded");
  return fetch(new URL(sample.path, running.url), {
    method: sample.method,
    headers,
    body: sample.json === undefined ? sample.form : JSON.stringify(sample.json),
  });
}

/**
 * How many requests the run's API executed, from its own logs: each demo
 * origin's, or, for an API inside the Worker (no origin started), the one it
 * serves through the gateway.
 */
async function executed(running: RunningExample): Promise<number> {
  const origins = Object.values(running.origins);
  const bases = origins.length > 0 ? origins : [running.url];
  const logs = await Promise.all(bases.map(async (url) => (await (await fetch(`${url}/__demo/requests`)).json()) as unknown[]));
  return logs.reduce((sum, log) => sum + log.length, 0);
}

const start = (args: string[]) =>
  spawnSync(process.execPath, ["scripts/start.ts", ...args], { encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });

describe("npm run example -- <name>", () => {
  it("finds every folder of examples/, and refuses a name it does not know, listing the names", () => {
    const names = exampleNames();
    expect(names).toEqual(expect.arrayContaining(["demo", "commerce", "erply", "printone", "stripe"]));
    const unknown = start(["nope"]);
    expect(unknown.status).toBe(2);
    for (const name of names) expect(unknown.stderr).toContain(`  ${name} `);
    const demoAndName = start(["demo", "stripe"]);
    expect(demoAndName.status).toBe(2);
    expect(demoAndName.stderr).toContain("npm start runs the demo; for an example: npm run example -- stripe");
    expect(start(["--list"]).status).toBe(0);
  });

  it.each(exampleNames())("%s starts, and its README's request sent twice runs once and is replayed", async (name) => {
    const example = await declared(name);
    if (name !== "demo") {
      // The demo's request is in the repository's README; each example's own README shows its request.
      const readme = readFileSync(join(example.folder, "README.md"), "utf8");
      const { path, headers, json, form } = example.sample;
      for (const shown of [
        path,
        JSON.stringify(json ?? ""),
        form ?? "",
        ...Object.entries(headers).map(([header, value]) => `${header}: ${value}`),
      ]) {
        if (shown !== '""' && shown !== "") expect(readme).toContain(shown);
      }
    }
    const running = await runExample(example, { freePorts: true, stdio: "pipe" });
    try {
      const first = await send(running, example.sample);
      const retry = await send(running, example.sample);
      expect(first.status, await first.clone().text()).toBeLessThan(300);
      expect(first.headers.get("idempotent-replayed")).toBeNull();
      expect(retry.headers.get("idempotent-replayed")).toBe("true");
      expect(await retry.text()).toBe(await first.text());
      expect(await executed(running)).toBe(1);
    } finally {
      await running.stop();
    }
  });
});

describe("local state and the admin token", () => {
  const kept = mkdtempSync(join(tmpdir(), "idem-kept-state-"));
  afterAll(() => rmSync(kept, { recursive: true, force: true }));

  it("starts empty on every run, keeps state with --persist, and makes an admin token for each run only", async () => {
    const demo = await declared("demo");
    const published = /^ADMIN_TOKEN=(.+)$/m.exec(readFileSync(".dev.vars.example", "utf8"))?.[1];

    const persisted = await runExample(demo, { freePorts: true, stdio: "pipe", persistTo: kept });
    const first = await send(persisted, demo.sample);
    expect(first.status).toBe(201);
    const health = (token: string | undefined) =>
      fetch(`${persisted.admin.base}/health`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
    expect((await health(persisted.admin.token)).status).toBe(200);
    expect((await health(published)).status).toBe(401);
    expect((await health(undefined)).status).toBe(401);
    await persisted.stop();

    const fresh = await runExample(demo, { freePorts: true, stdio: "pipe" });
    try {
      expect(fresh.admin.token).not.toBe(persisted.admin.token);
      const again = await send(fresh, demo.sample);
      expect(again.headers.get("idempotent-replayed")).toBeNull();
      expect(await executed(fresh)).toBe(1);
    } finally {
      await fresh.stop();
    }
    expect(existsSync(fresh.state.dir)).toBe(false);

    const restarted = await runExample(demo, { freePorts: true, stdio: "pipe", persistTo: kept });
    try {
      const replayed = await send(restarted, demo.sample);
      expect(replayed.headers.get("idempotent-replayed")).toBe("true");
      expect(await replayed.text()).toBe(await first.text());
      expect(await executed(restarted)).toBe(0);
    } finally {
      await restarted.stop();
    }
  });
});
