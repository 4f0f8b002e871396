/**
 * Issue 11, "never twice": for every way an origin exchange can fail, how
 * many times the origin executed the request, what the client's retry gets,
 * and what Idem remembers. They run inside workerd (test/never-twice.test.ts)
 * and against the wrangler-built bundle over real HTTP
 * (test/e2e/never-twice.e2e.test.ts), each in front of the demo origin on
 * 127.0.0.1, which logs every request that reaches it. The record is read
 * through the admin API, as an operator would.
 */
import { describe, expect, it } from "vitest";
import type { ConfigInput } from "../../src/config/schema.ts";
import { originLogAt } from "./origin-log.ts";

export const NEVER_TWICE_ADMIN_TOKEN = "never-twice-admin-token-0123456789abcdef";

/** Short timeouts, so a hanging origin is quick to wait out, but long enough that no other fault is taken for a timeout under load. */
export const NEVER_TWICE_CONFIG: Omit<ConfigInput, "origin"> = {
  originTimeoutMs: 3_000,
  defaults: { lockTimeoutMs: 5_000 },
  // A name no resolver knows (RFC 6761 reserves .invalid): the runtime's DNS lookup fails before anything is sent.
  origins: { unresolvable: "http://idem-orders.invalid" },
  routes: [
    { name: "orders", path: "/orders" },
    { name: "unresolvable-orders", path: "/unresolvable/orders", origin: "unresolvable" },
    // An origin that deduplicates on its own can take a re-run: it releases keys, and gets the record ID to deduplicate on.
    { name: "idempotent-orders", path: "/idempotent/orders", onUnknownOutcome: "release", forwardKey: { header: "Idem-Record" } },
  ],
};

/** Idem and the demo origin behind it, as a test reaches them: inside workerd or over HTTP. */
export interface NeverTwiceTarget {
  send(request: Request): Promise<Response>;
  /** Idem's base URL (any host inside workerd). */
  base: string;
  originUrl: string;
  /** Sends a request while the origin refuses connections (down, then back up). */
  sendWhileOriginRefuses(request: Request): Promise<Response>;
}

const AUTH = "Bearer never-twice";

interface Problem {
  type: string;
  status: number;
  detail: string;
  failure?: string;
  failedAt?: string;
  originalStatus?: number;
}

interface RecordView {
  state: string;
  route: string;
  response: { status: number } | null;
  outcome?: { failure: string; detail: string; failedAt: string; originalStatus?: number };
}

/** A fault that leaves the outcome unknown: the origin may have executed the request. */
interface UnknownFault {
  fault: string;
  headers: Record<string, string>;
  status: 502 | 504;
  failure: string;
  /** Requests that reached the origin (a hanging one counts: it may act before it hangs). */
  executions: 0 | 1;
  originalStatus?: number;
}

const UNKNOWN_FAULTS: UnknownFault[] = [
  { fault: "the body breaks off after the status", headers: { "demo-break": "1" }, status: 502, failure: "origin-broken-response", executions: 1 },
  {
    fault: "the origin reads the request, executes it and resets the connection",
    headers: { "demo-reset": "1" },
    status: 502,
    failure: "origin-unreachable",
    executions: 1,
  },
  { fault: "the origin hangs past originTimeoutMs", headers: { "demo-hang": "1" }, status: 504, failure: "origin-timeout", executions: 1 },
  {
    fault: "the origin answers status 999",
    headers: { "demo-status": "999" },
    status: 502,
    failure: "origin-invalid-status",
    executions: 1,
    originalStatus: 999,
  },
  {
    fault: "Cloudflare answers 520 (the origin's answer was empty or malformed)",
    headers: { "demo-edge-status": "520" },
    status: 502,
    failure: "origin-broken-response",
    executions: 1,
    originalStatus: 520,
  },
  {
    fault: "Cloudflare answers 522 (connection timed out: it may have been after the request was sent)",
    headers: { "demo-edge-status": "522" },
    status: 504,
    failure: "origin-timeout",
    executions: 0,
    originalStatus: 522,
  },
  {
    fault: "Cloudflare answers 524 (the origin got the request and did not answer in time)",
    headers: { "demo-edge-status": "524" },
    status: 504,
    failure: "origin-timeout",
    executions: 1,
    originalStatus: 524,
  },
];

/** Cloudflare's statuses for a request that never reached the origin (530: with `error code: 1016`, an origin DNS error). */
const NEVER_BEGAN_STATUSES = [521, 523, 525, 526, 530];

/**
 * Registers the never-twice proofs for one way of reaching Idem.
 *
 * @example
 * neverTwiceProofs(() => ({ send: fetch, base: worker.url.href, originUrl: origin.url, sendWhileOriginRefuses }));
 */
export function neverTwiceProofs(target: () => NeverTwiceTarget): void {
  const order = (tag: string, key: string, headers: Record<string, string> = {}, path = "/orders") =>
    new Request(new URL(path, target().base), {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": key, authorization: AUTH, "demo-tag": tag, ...headers },
      body: JSON.stringify({ item: "lamp", key }),
    });
  const send = (tag: string, key: string, headers: Record<string, string> = {}, path = "/orders") => target().send(order(tag, key, headers, path));
  const executions = async (tag: string) => (await originLogAt(target().originUrl, tag)).length;
  const record = async (route: string, key: string): Promise<RecordView | null> => {
    const response = await target().send(
      new Request(new URL("/__idem/records/lookup", target().base), {
        method: "POST",
        headers: { authorization: `Bearer ${NEVER_TWICE_ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ route, key, scope: { "header:Authorization": AUTH } }),
      }),
    );
    if (response.status === 404) return null;
    expect(response.status).toBe(200);
    return response.json() as Promise<RecordView>;
  };
  const problem = async (response: Response): Promise<Problem> => {
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const body = (await response.json()) as Problem;
    expect(body.status).toBe(response.status);
    return { ...body, type: body.type.replace("urn:idem:problem:", "") };
  };

  describe("a request whose outcome is unknown is never run again", () => {
    it.each(UNKNOWN_FAULTS)("$fault: $status outcome-unknown, $executions execution(s), retries get it again", async (fault) => {
      const tag = crypto.randomUUID();
      const key = `unknown-${tag}`;
      const first = await send(tag, key, fault.headers);
      expect(first.status).toBe(fault.status);
      expect(first.headers.get("idempotent-replayed")).toBeNull();
      const told = await problem(first);
      expect(told).toMatchObject({ type: "outcome-unknown", failure: fault.failure });
      expect(told.originalStatus).toBe(fault.originalStatus);
      expect(told.detail).toContain("new key");
      expect(await executions(tag)).toBe(fault.executions);

      // The retry carries no fault: a healthy origin would answer it. It is not sent there.
      for (let attempt = 0; attempt < 2; attempt++) {
        const retry = await send(tag, key);
        expect(retry.status).toBe(fault.status);
        expect(retry.headers.get("idempotent-replayed")).toBe("true");
        expect(retry.headers.get("idempotency-expires")).not.toBeNull();
        expect(await problem(retry)).toMatchObject({ type: "outcome-unknown", failure: fault.failure, failedAt: told.failedAt });
      }
      expect(await executions(tag)).toBe(fault.executions);
      expect(await record("orders", key)).toMatchObject({
        state: "outcome-unknown",
        response: null,
        outcome: { failure: fault.failure, failedAt: told.failedAt },
      });
    });

    it("a refused connection cannot be told from a reset after sending: unknown too, and the origin is never asked", async () => {
      const tag = crypto.randomUUID();
      const key = `refused-${tag}`;
      const first = await target().sendWhileOriginRefuses(order(tag, key));
      expect(first.status).toBe(502);
      expect(await problem(first)).toMatchObject({ type: "outcome-unknown", failure: "origin-unreachable" });
      // The origin is back; the retry still does not reach it.
      const retry = await send(tag, key);
      expect(retry.status).toBe(502);
      expect(retry.headers.get("idempotent-replayed")).toBe("true");
      expect(await executions(tag)).toBe(0);
      expect(await record("orders", key)).toMatchObject({ state: "outcome-unknown", outcome: { failure: "origin-unreachable" } });
    });
  });

  describe("a request that never began stays retryable", () => {
    it.each(NEVER_BEGAN_STATUSES)("Cloudflare answers %i: 502 origin-unreachable, the key is released, the retry runs once", async (status) => {
      const tag = crypto.randomUUID();
      const key = `never-began-${tag}`;
      const first = await send(tag, key, { "demo-edge-status": String(status) });
      expect(first.status).toBe(502);
      const told = await problem(first);
      expect(told).toMatchObject({ type: "origin-unreachable", originalStatus: status });
      expect(told.detail).toContain("did not reach the origin");
      expect(await executions(tag)).toBe(0);
      expect(await record("orders", key)).toBeNull();

      const retry = await send(tag, key);
      expect(retry.status).toBe(201);
      expect(retry.headers.get("idempotent-replayed")).toBeNull();
      const again = await send(tag, key);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(await executions(tag)).toBe(1);
      expect(await record("orders", key)).toMatchObject({ state: "completed", response: { status: 201 } });
    });
  });

  it("the origin's name does not resolve: 502 origin-unreachable, the key is released, a retry is sent again", async () => {
    const tag = crypto.randomUUID();
    const key = `unresolvable-${tag}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      const answer = await send(tag, key, {}, "/unresolvable/orders");
      expect(answer.status).toBe(502);
      // Not a replay of a remembered outcome: each attempt was sent afresh.
      expect(answer.headers.get("idempotent-replayed")).toBeNull();
      const told = await problem(answer);
      expect(told.type).toBe("origin-unreachable");
      expect(told.detail).toContain("did not reach the origin");
      expect(await record("unresolvable-orders", key)).toBeNull();
    }
  });

  describe('a route with onUnknownOutcome = "release" (an origin that deduplicates itself)', () => {
    it("releases the key: the retry runs again, carrying the same record ID for the origin to deduplicate on", async () => {
      const tag = crypto.randomUUID();
      const key = `release-${tag}`;
      // The client cannot pose as another record: its own Idem-Record header is replaced.
      const first = await send(tag, key, { "demo-reset": "1", "idem-record": "forged" }, "/idempotent/orders");
      expect(first.status).toBe(502);
      const told = await problem(first);
      expect(told.type).toBe("origin-unreachable");
      expect(told.detail).toContain('onUnknownOutcome = "release"');
      expect(await record("idempotent-orders", key)).toBeNull();

      const retry = await send(tag, key, {}, "/idempotent/orders");
      expect(retry.status).toBe(200);
      const received = await originLogAt(target().originUrl, tag);
      expect(received).toHaveLength(2);
      const [firstId, retryId] = received.map((r) => r.headers["idem-record"]);
      expect(firstId).toMatch(/^[0-9a-f]{64}$/);
      expect(retryId).toBe(firstId);
      expect(await record("idempotent-orders", key)).toMatchObject({ state: "completed" });
    });

    it("a refused connection: the retry runs once the origin is back", async () => {
      const tag = crypto.randomUUID();
      const key = `release-refused-${tag}`;
      const first = await target().sendWhileOriginRefuses(order(tag, key, {}, "/idempotent/orders"));
      expect(first.status).toBe(502);
      expect((await problem(first)).type).toBe("origin-unreachable");
      const retry = await send(tag, key, {}, "/idempotent/orders");
      expect(retry.status).toBe(200);
      expect(await executions(tag)).toBe(1);
    });
  });
}
