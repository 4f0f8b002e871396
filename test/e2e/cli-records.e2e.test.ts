import { describe, expect, it } from "vitest";
import { startOrdersOrigin } from "../../demo/orders-origin.ts";
import { recordsCommand } from "../../src/cli/records.ts";
import { useBundledStack } from "./support/stack.ts";

const TOKEN = "cli-records-admin-token-0123456789abcdef";
const stack = useBundledStack({
  origin: startOrdersOrigin,
  routes: [{ name: "create-order", path: "/orders", methods: ["POST"] }],
  bindings: { ADMIN_TOKEN: TOKEN },
});

/** `idem records …` against the running bundle, its URL and token from the environment as an operator sets them. */
async function idemRecords(...args: string[]) {
  process.env.IDEM_URL = stack().worker.url.href;
  process.env.IDEM_ADMIN_TOKEN = TOKEN;
  return recordsCommand(args);
}

async function order(key: string, tag: string, extra: Record<string, string> = {}): Promise<Response> {
  return fetch(new URL("/orders", stack().worker.url), {
    method: "POST",
    headers: { "content-type": "application/json", "idempotency-key": key, authorization: "Bearer alice", "demo-tag": tag, ...extra },
    body: JSON.stringify({ item: "book" }),
  });
}

const executions = (tag: string) => stack().origin.received.filter((request) => request.tag === tag).length;

describe("idem records", () => {
  it("looks a record up, reads it, lists it by state and purges it, so the next retry runs at the origin", async () => {
    const tag = `records-${Date.now()}`;
    expect((await order("k-cli-1", tag)).status).toBe(201);

    const found = await idemRecords("lookup", "--route", "create-order", "--key", "k-cli-1", "--scope", "header:Authorization=Bearer alice");
    expect(found.code, found.stderr).toBe(0);
    const { record, state } = JSON.parse(found.stdout) as { record: string; state: string };
    expect(state).toBe("completed");

    const got = await idemRecords("get", record, "--body");
    expect(JSON.parse(got.stdout)).toMatchObject({ record, state: "completed", response: { status: 201 } });

    const listed = await idemRecords("list", "--state", "completed", "--limit", "50");
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`${record}  create-order  completed`);
    expect(listed.stdout).toMatch(/\n\d+ completed records?$/);
    expect((await idemRecords("list", "--state", "outcome-unknown", "--json")).stdout).not.toContain(record);

    expect(JSON.parse((await idemRecords("purge", record)).stdout)).toMatchObject({ purged: true, record });
    expect((await order("k-cli-1", tag)).headers.get("idempotent-replayed")).toBeNull();
    expect(executions(tag)).toBe(2);
  });

  it("lists a record stuck on an unknown outcome, and resolves it with the origin's answer, which retries then get", async () => {
    const tag = `unknown-${Date.now()}`;
    // The demo origin executes the order, then drops the connection: the outcome is unknown.
    expect((await order("k-cli-2", tag, { "demo-reset": "1" })).status).toBeGreaterThanOrEqual(500);
    const stuck = await idemRecords("list", "--state", "outcome-unknown", "--json");
    const records = stuck.stdout.split("\n").map((line) => JSON.parse(line) as { record: string; route: string });
    expect(records).toHaveLength(1);
    const record = records[0]?.record ?? "";

    const resolved = await idemRecords(
      "resolve",
      record,
      "--status",
      "201",
      "--header",
      "Content-Type: application/json",
      "--body-text",
      '{"id":"ord_1"}',
    );
    expect(JSON.parse(resolved.stdout)).toMatchObject({ resolved: true, record, previous: "outcome-unknown" });
    const retry = await order("k-cli-2", tag);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.text()).toBe('{"id":"ord_1"}');
    expect(executions(tag)).toBe(1);
  });

  it("says what the gateway refused, and what is missing to ask at all", async () => {
    const missing = await idemRecords("get", "no-such-record");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/GET \/__idem\/records\/no-such-record: 40\d/);

    const wrongToken = await recordsCommand(["get", "x", "--url", stack().worker.url.href, "--token", "wrong-token-wrong-token-wrong-token"]);
    expect(wrongToken.stderr).toContain("401");

    delete process.env.IDEM_URL;
    const noUrl = await recordsCommand(["list", "--state", "completed", "--token", TOKEN]);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toContain("IDEM_URL");
    expect((await idemRecords("list", "--state", "stuck")).code).toBe(2);
  });
});
