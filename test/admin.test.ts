import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import packageJson from "../package.json";
import type { ConfigInput } from "../src/config/schema.ts";
import { type ProblemKind, problemType } from "../src/errors/problem-docs.ts";
import { RecordStore } from "../src/objects/record-store.ts";
import { advanceClockPast } from "./support/clock.ts";
import { clientRequest, gatewayFor, newTag, originLog, originReceived, TEST_CALLER } from "./support/gateway.ts";
import { captureLogs } from "./support/logs.ts";

const TOKEN = "0123456789abcdef0123456789abcdef-admin";
const config: Omit<ConfigInput, "origin"> = {
  // Some tests look inside a record's own object (named by the record ID).
  keyspace: { strategy: "per-key" },
  routes: [
    { name: "create-order", path: "/orders" },
    { name: "mailing", path: "/mailings", key: { source: ["body:zip", "body:house"] } },
    { name: "slow-order", path: "/slow-orders" },
    { name: "small-order", path: "/small-orders", maxStoredResponseBytes: 2_048 },
  ],
};
const send = gatewayFor(config, { ADMIN_TOKEN: TOKEN });

let logs: ReturnType<typeof captureLogs>;
beforeEach(() => {
  logs = captureLogs();
});
afterEach(() => logs.restore());

function admin(path: string, init: { method?: string; token?: string | null; json?: unknown } = {}): Promise<Response> {
  const headers = new Headers();
  const token = init.token === undefined ? TOKEN : init.token;
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  return send(
    new Request(`https://idem.test/__idem${path}`, {
      method: init.method ?? "GET",
      headers,
      body: init.json === undefined ? undefined : JSON.stringify(init.json),
    }),
  );
}

/** Sends a keyed order and returns the record ID its decision line names. */
async function orderRecord(tag: string, key: string, auth = "Bearer alice"): Promise<{ record: string; response: Response }> {
  logs.clear();
  const response = await send(clientRequest("/orders", { tag, key, auth, json: { item: "book" } }));
  const [line] = logs.lines("idem.decision");
  return { record: line?.record as string, response };
}

interface RecordView {
  record: string;
  route: string;
  kind: string;
  state: string;
  running: boolean;
  createdAt: string;
  expiresAt: string;
  fingerprint: string;
  response: { status: number; headerNames: string[]; bodyBytes: number; bodyRetained: boolean } | null;
  storedBytes: number;
  body?: { encoding: string; data: string };
}

describe("admin authentication", () => {
  it("is off, and answers 404 without reaching the origin, while ADMIN_TOKEN is unset or short", async () => {
    const tag = newTag();
    for (const token of [undefined, "too-short"]) {
      const off = gatewayFor(config, { ADMIN_TOKEN: token });
      const response = await off(clientRequest("/__idem/health", { tag, method: "GET", headers: { authorization: `Bearer ${token}` } }));
      expect(response.status).toBe(404);
      expect(((await response.json()) as { type: string }).type).toBe(problemType("admin-disabled"));
    }
    expect(await originLog(tag)).toHaveLength(0);
  });

  it.each([
    ["missing", null],
    ["wrong", "0123456789abcdef0123456789abcdef-wrong"],
    ["shorter", "0123456789"],
    ["longer", `${TOKEN}x`],
  ])("refuses a %s token with 401 and a Bearer challenge", async (_case, token) => {
    const response = await admin("/health", { token });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="idem-admin"');
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });

  it("compares equal-length digests with crypto.subtle.timingSafeEqual, whatever the token's length", async () => {
    const compare = vi.spyOn(crypto.subtle, "timingSafeEqual");
    try {
      for (const token of [null, "x", TOKEN, `${TOKEN}${"y".repeat(100)}`]) await admin("/health", { token });
      expect(compare).toHaveBeenCalledTimes(4);
      for (const [given, expected] of compare.mock.calls) {
        expect((given as ArrayBuffer).byteLength).toBe(32);
        expect((expected as ArrayBuffer).byteLength).toBe(32);
      }
    } finally {
      compare.mockRestore();
    }
  });

  it("reserves the prefix: an unknown admin path is a 404 from Idem, not a request to the origin", async () => {
    const response = await admin("/nothing-here");
    expect(response.status).toBe(404);
    expect(((await response.json()) as { type: string }).type).toBe(problemType("admin-not-found"));
  });
});

describe("health", () => {
  it("reports the version from package.json and the effective config", async () => {
    const response = await admin("/health");
    expect(response.status).toBe(200);
    const health = (await response.json()) as {
      status: string;
      version: string;
      analytics: boolean;
      config: { origin: string; routes: { name: string }[] };
    };
    expect(health.status).toBe("ok");
    expect(health.version).toBe(packageJson.version);
    expect(health.analytics).toBe(true);
    expect(health.config.origin).toBe(env.ORIGIN_URL);
    expect(health.config.routes.map((r) => r.name)).toEqual(["create-order", "mailing", "slow-order", "small-order"]);
  });
});

describe("inspect", () => {
  it("shows a completed record by the ID its log line names, without the body unless asked", async () => {
    const tag = newTag();
    const { record, response } = await orderRecord(tag, "inspect-1");
    const firstBody = await response.text();
    const view = (await (await admin(`/records/${record}`)).json()) as RecordView;
    expect(view).toMatchObject({ record, route: "create-order", kind: "key", state: "completed", running: false });
    expect(view.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(view.expiresAt) - Date.parse(view.createdAt)).toBe(86_400_000);
    expect(view.response?.status).toBe(201);
    expect(view.response?.headerNames).toContain("content-type");
    expect(view.response?.bodyBytes).toBe(new TextEncoder().encode(firstBody).byteLength);
    expect(view.storedBytes).toBeGreaterThan(view.response?.bodyBytes ?? 0);
    expect(view.body).toBeUndefined();

    const withBody = (await (await admin(`/records/${record}?body=true`)).json()) as RecordView;
    expect(withBody.body).toEqual({ encoding: "utf-8", data: firstBody });
  });

  it("shows a record in flight while its request runs at the origin", async () => {
    const tag = newTag();
    logs.clear();
    const running = send(clientRequest("/slow-orders", { tag, key: "inflight-1", json: {}, headers: { "demo-delay": "400" } }));
    await originReceived(tag, 1);
    const found = await admin("/records/lookup", {
      method: "POST",
      json: { route: "slow-order", key: "inflight-1", scope: { "header:Authorization": TEST_CALLER } },
    });
    const view = (await found.json()) as RecordView;
    expect(view).toMatchObject({ state: "in-flight", running: true, response: null });
    await running;
  });

  it("shows a record past its expiry as expired until the alarm deletes it", async () => {
    const tag = newTag();
    const { record } = await orderRecord(tag, "expired-1");
    const stub = env.KEYS.get(env.KEYS.idFromName(record));
    const stored = await runInDurableObject(stub, (_instance, state) => new RecordStore(state.storage).get(record));
    advanceClockPast(stored?.expiresAt ?? 0);
    const view = (await (await admin(`/records/${record}`)).json()) as RecordView;
    expect(view.state).toBe("expired");
  });

  it("answers 404 for a record that does not exist, and 400 for something that is not a record ID", async () => {
    const missing = await admin(`/records/${"0".repeat(64)}`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { type: string }).type).toBe(problemType("admin-record-not-found"));
    expect((await admin("/records/not-an-id")).status).toBe(400);
    // Asking left the object it asked without tables, so it holds no storage.
    const asked = env.KEYS.get(env.KEYS.idFromName("0".repeat(64)));
    await runInDurableObject(asked, (_instance, state) => {
      expect(state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT GLOB '_cf_*'").toArray()).toEqual([]);
    });
  });
});

describe("lookup", () => {
  it("finds a record by route, key and the caller's scope values, or by the client's own request", async () => {
    const tag = newTag();
    const { record } = await orderRecord(tag, "lookup-1", "Bearer carol");
    const byKey = await admin("/records/lookup", {
      method: "POST",
      json: { route: "create-order", key: "lookup-1", scope: { "header:authorization": "Bearer carol" } },
    });
    expect(((await byKey.json()) as RecordView).record).toBe(record);

    const byRequest = await admin("/records/lookup", {
      method: "POST",
      json: { request: { method: "POST", path: "/orders", headers: { Authorization: "Bearer carol", "Idempotency-Key": '"lookup-1"' } } },
    });
    expect(((await byRequest.json()) as RecordView).record).toBe(record);

    const otherCaller = await admin("/records/lookup", {
      method: "POST",
      json: { route: "create-order", key: "lookup-1", scope: { "header:Authorization": "Bearer dave" } },
    });
    expect(otherCaller.status).toBe(404);
  });

  it("finds a record whose key is built from several fields", async () => {
    const tag = newTag();
    logs.clear();
    await send(clientRequest("/mailings", { tag, json: { zip: "1012 AB", house: "12a", name: "Jansen" } }));
    const record = logs.lines("idem.decision")[0]?.record;
    const found = await admin("/records/lookup", {
      method: "POST",
      json: { route: "mailing", key: ["1012 AB", "12a"], scope: { "header:Authorization": TEST_CALLER } },
    });
    expect(((await found.json()) as RecordView).record).toBe(record);
  });

  it("explains why a lookup cannot name a record", async () => {
    const cases: [unknown, number, string][] = [
      [{ route: "nope", key: "k" }, 400, "admin-invalid-request"],
      [{ route: "create-order", key: "k", scope: { "header:X-Tenant": "t" } }, 400, "admin-invalid-request"],
      [{ route: "mailing", key: "not-a-list" }, 400, "admin-invalid-request"],
      [{ request: { method: "POST", path: "/orders", headers: {} } }, 422, "admin-no-record"],
      [{ something: "else" }, 400, "admin-invalid-request"],
      [{ request: { path: "/orders", headers: { "bad header": "x" } } }, 400, "admin-invalid-request"],
    ];
    for (const [json, status, kind] of cases) {
      const response = await admin("/records/lookup", { method: "POST", json });
      expect(response.status).toBe(status);
      expect(((await response.json()) as { type: string }).type).toBe(problemType(kind as ProblemKind));
    }
  });
});

describe("purge", () => {
  it("deletes a record, so the client's retry runs at the origin again", async () => {
    const tag = newTag();
    const { record } = await orderRecord(tag, "purge-1");
    const purged = await admin(`/records/${record}`, { method: "DELETE" });
    expect(await purged.json()).toEqual({ purged: true, record, state: "completed" });
    const retry = await send(clientRequest("/orders", { tag, key: "purge-1", auth: "Bearer alice", json: { item: "book" } }));
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(2);
    expect((await admin(`/records/${"f".repeat(64)}`, { method: "DELETE" })).status).toBe(404);
  });

  it("deletes a record a replay has just served (from the object's memory), so the retry runs at the origin again", async () => {
    const tag = newTag();
    const { record } = await orderRecord(tag, "purge-replayed");
    const order = () => send(clientRequest("/orders", { tag, key: "purge-replayed", auth: "Bearer alice", json: { item: "book" } }));
    expect((await order()).headers.get("idempotent-replayed")).toBe("true");
    expect(await (await admin(`/records/${record}`, { method: "DELETE" })).json()).toEqual({ purged: true, record, state: "completed" });
    expect((await order()).headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(2);
  });

  it("keeps a record whose request is still at the origin, unless forced", async () => {
    const tag = newTag();
    logs.clear();
    const running = send(clientRequest("/slow-orders", { tag, key: "purge-running", json: {}, headers: { "demo-delay": "400" } }));
    await originReceived(tag, 1);
    const record = (
      (await (
        await admin("/records/lookup", {
          method: "POST",
          json: { route: "slow-order", key: "purge-running", scope: { "header:Authorization": TEST_CALLER } },
        })
      ).json()) as RecordView
    ).record;
    const refused = await admin(`/records/${record}`, { method: "DELETE" });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { type: string }).type).toBe(problemType("admin-record-running"));
    const forced = await admin(`/records/${record}?force=true`, { method: "DELETE" });
    expect(await forced.json()).toEqual({ purged: true, record, state: "in-flight" });
    await running;
  });
});

describe("resolving an unknown outcome", () => {
  /** A keyed order whose origin resets after executing it: its outcome is unknown. Returns its record ID. */
  async function unknownRecord(tag: string, key: string): Promise<string> {
    const { record, response } = await orderRecordWith(tag, key, { "demo-reset": "1" });
    expect(response.status).toBe(502);
    return record;
  }

  async function orderRecordWith(tag: string, key: string, headers: Record<string, string>) {
    logs.clear();
    const response = await send(clientRequest("/orders", { tag, key, auth: "Bearer alice", json: { item: "book" }, headers }));
    const [line] = logs.lines("idem.decision");
    return { record: line?.record as string, response };
  }

  const retry = (tag: string, key: string) => send(clientRequest("/orders", { tag, key, auth: "Bearer alice", json: { item: "book" } }));

  it("inspect shows the state, what failed and when", async () => {
    const tag = newTag();
    const before = Date.now();
    const record = await unknownRecord(tag, "unknown-inspect");
    const view = (await (await admin(`/records/${record}`)).json()) as RecordView & {
      outcome: { failure: string; detail: string; failedAt: string };
    };
    expect(view).toMatchObject({ record, state: "outcome-unknown", running: false, response: null, lockExpiresAt: null });
    expect(view.outcome.failure).toBe("origin-unreachable");
    expect(view.outcome.detail).toContain("Network connection lost.");
    expect(Date.parse(view.outcome.failedAt)).toBeGreaterThanOrEqual(before);
  });

  it("purge lets the next retry run at the origin", async () => {
    const tag = newTag();
    const record = await unknownRecord(tag, "unknown-purge");
    expect((await retry(tag, "unknown-purge")).status).toBe(502);
    const purged = await admin(`/records/${record}`, { method: "DELETE" });
    expect(await purged.json()).toEqual({ purged: true, record, state: "outcome-unknown" });
    const ran = await retry(tag, "unknown-purge");
    expect(ran.status).toBe(201);
    expect(ran.headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(2);
  });

  it("stores an operator's response, which every retry then gets as a replay; the origin is not called", async () => {
    const tag = newTag();
    const record = await unknownRecord(tag, "unknown-resolve");
    const body = JSON.stringify({ id: "ord_found_at_the_origin", item: "book" });
    const resolved = await admin(`/records/${record}/response`, {
      method: "PUT",
      json: { status: 201, headers: { "content-type": "application/json", "x-resolved-by": "ops" }, body },
    });
    expect(resolved.status).toBe(200);
    expect(await resolved.json()).toEqual({
      resolved: true,
      record,
      previous: "outcome-unknown",
      response: { status: 201, bodyBytes: new TextEncoder().encode(body).byteLength },
    });
    for (let attempt = 0; attempt < 2; attempt++) {
      const replay = await retry(tag, "unknown-resolve");
      expect(replay.status).toBe(201);
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
      expect(replay.headers.get("x-resolved-by")).toBe("ops");
      expect(await replay.text()).toBe(body);
    }
    expect(await originLog(tag)).toHaveLength(1);
    const view = (await (await admin(`/records/${record}`)).json()) as RecordView;
    expect(view).toMatchObject({ state: "completed", response: { status: 201 } });
    // It holds an answer now: a second resolve is refused (purge first to replace it).
    const again = await admin(`/records/${record}/response`, { method: "PUT", json: { status: 200 } });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { type: string }).type).toBe("urn:idem:problem:admin-record-completed");
  });

  it("takes a base64 body", async () => {
    const tag = newTag();
    const record = await unknownRecord(tag, "unknown-base64");
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const resolved = await admin(`/records/${record}/response`, {
      method: "PUT",
      json: {
        status: 200,
        headers: [["content-type", "application/octet-stream"]],
        body: btoa(String.fromCharCode(...bytes)),
        bodyEncoding: "base64",
      },
    });
    expect(resolved.status).toBe(200);
    const replay = await retry(tag, "unknown-base64");
    expect(new Uint8Array(await replay.arrayBuffer())).toEqual(bytes);
  });

  it.each([
    [{ status: 999 }, "status: must be 200-599"],
    [{ status: 199 }, "status: must be 200-599"],
    [{ status: 201.5 }, "status"],
    [{ status: 201, headers: { "bad header": "x" } }, "headers"],
    [{ status: 201, headers: { "set-cookie": "session=1" } }, "set-cookie cannot be stored"],
    [{ status: 201, headers: { "transfer-encoding": "chunked" } }, "transfer-encoding cannot be stored"],
    [{ status: 201, body: "x".repeat(2_049) }, "maxStoredResponseBytes 2048"],
    [{ status: 201, body: "***", bodyEncoding: "base64" }, "body: not valid base64"],
    [{ status: 201, extra: true }, "send {"],
  ])("refuses %j with 400 (%s), and the record stays an unknown outcome", async (input, message) => {
    const tag = newTag();
    logs.clear();
    const response = await send(clientRequest("/small-orders", { tag, key: `unknown-invalid-${tag}`, json: {}, headers: { "demo-reset": "1" } }));
    expect(response.status).toBe(502);
    const record = logs.lines("idem.decision")[0]?.record as string;
    const refused = await admin(`/records/${record}/response`, { method: "PUT", json: input });
    expect(refused.status).toBe(400);
    const problem = (await refused.json()) as { type: string; detail: string };
    expect(problem.type).toBe("urn:idem:problem:admin-invalid-request");
    expect(problem.detail).toContain(message);
    expect(((await (await admin(`/records/${record}`)).json()) as RecordView).state).toBe("outcome-unknown");
  });

  it("refuses a record still running at the origin, and one that does not exist", async () => {
    const tag = newTag();
    const running = send(clientRequest("/slow-orders", { tag, key: "resolve-running", json: {}, headers: { "demo-delay": "400" } }));
    await originReceived(tag, 1);
    const record = (
      (await (
        await admin("/records/lookup", {
          method: "POST",
          json: { route: "slow-order", key: "resolve-running", scope: { "header:Authorization": TEST_CALLER } },
        })
      ).json()) as RecordView
    ).record;
    const refused = await admin(`/records/${record}/response`, { method: "PUT", json: { status: 201 } });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { type: string }).type).toBe("urn:idem:problem:admin-record-running");
    await running;
    expect((await admin(`/records/${"e".repeat(64)}/response`, { method: "PUT", json: { status: 201 } })).status).toBe(404);
  });

  it("logs every such action: what the record was, what was stored", async () => {
    const tag = newTag();
    const record = await unknownRecord(tag, "unknown-log");
    logs.clear();
    await admin(`/records/${record}/response`, { method: "PUT", json: { status: 202, body: "accepted" } });
    await admin(`/records/${record}`, { method: "DELETE" });
    expect(logs.lines("idem.admin")).toEqual([
      expect.objectContaining({ action: "resolve", status: 200, record, result: "resolved", previous: "outcome-unknown", responseStatus: 202 }),
      expect.objectContaining({ action: "purge", status: 200, record, result: "purged", previous: "completed" }),
    ]);
  });
});

describe("admin log", () => {
  it("writes one idem.admin line per admin request, refused ones included, never with the token", async () => {
    const tag = newTag();
    const { record } = await orderRecord(tag, "log-1");
    logs.clear();
    await admin("/health");
    await admin(`/records/${record}`);
    await admin("/records/lookup", {
      method: "POST",
      json: { route: "create-order", key: "log-1", scope: { "header:Authorization": "Bearer alice" } },
    });
    await admin(`/records/${record}`, { method: "DELETE" });
    await admin("/health", { token: "wrong-token-wrong-token-wrong-token" });
    const lines = logs.lines("idem.admin");
    expect(lines.map((l) => [l.action, l.status, l.result])).toEqual([
      ["health", 200, undefined],
      ["inspect", 200, undefined],
      ["lookup", 200, undefined],
      ["purge", 200, "purged"],
      ["refused", 401, "unauthorized"],
    ]);
    expect(lines[1]?.record).toBe(record);
    expect(lines[3]?.record).toBe(record);
    expect(logs.lines("idem.decision")).toHaveLength(0);
    const text = logs.raw().join("\n");
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain("wrong-token");
    expect(text).not.toContain("Bearer alice");
    expect(text).not.toContain("log-1");
  });
});
