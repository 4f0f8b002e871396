import { type IRequest, Router } from "itty-router";
import { DEFAULTS } from "../config/defaults.ts";
import { describeConfig } from "../config/describe.ts";
import type { Env } from "../env.ts";
import type { AdminErrorKind } from "../errors/catalog.ts";
import { problemDocsLink, problemDocsPage } from "../errors/problem-docs.ts";
import { adminProblem } from "../errors/render.ts";
import { isUnder } from "../http/matching-path.ts";
import type { IdemConfig } from "../model/config.ts";
import { keyObject } from "../objects/stubs.ts";
import { type AdminLog, logAdminAction } from "../observability/admin-log.ts";
import { keyObjectName } from "../plan/identity.ts";
import type { RouteTable } from "../plan/route-table.ts";
import { BodyTooLargeError, readBodyWithin } from "../request/body.ts";
import { errorMessage } from "../util/error-message.ts";
import { IDEM_VERSION } from "../version.ts";
import { adminDisabledReason, bearerMatches } from "./auth.ts";
import { resolveLookup } from "./lookup.ts";
import { parseOperatorResponse } from "./operator-response.ts";
import { listRecords, parseListQuery } from "./record-list.ts";
import { recordView } from "./record-view.ts";

const RECORD_ID = /^[0-9a-f]{64}$/;

/** What one admin request's handler gets besides the request, and fills in for the log line. */
interface AdminContext {
  env: Env;
  log: AdminLog;
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body, null, 2), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

function flag(request: IRequest, name: string): boolean {
  const value = request.query[name];
  return value === "true" || value === "1";
}

/** The admin API of one gateway. */
export interface AdminApi {
  /** Whether a request's path is under the admin prefix (reserved even while the admin API is off). */
  owns(url: URL): boolean;
  fetch(request: Request, env: Env): Promise<Response>;
}

/**
 * The admin API under `config.admin.pathPrefix`, behind `Authorization:
 * Bearer <ADMIN_TOKEN>`; off while that secret is unset. Every request to it
 * is logged (`idem.admin`).
 *
 * | method | path                      | does                                                  |
 * |--------|---------------------------|-------------------------------------------------------|
 * | GET    | `/health`                 | version and the effective config                      |
 * | GET    | `/records?state=…`        | records in one state across every shard, paged        |
 * | GET    | `/records/:id`            | a record (`?body=true` adds the stored body)          |
 * | DELETE | `/records/:id`            | purges a record (`?force=true` even while it runs)    |
 * | PUT    | `/records/:id/response`   | stores an operator's response for an unknown outcome  |
 * | POST   | `/records/lookup`         | finds a record by route + key + scope, or by request  |
 *
 * @example
 * const admin = createAdminApi(config, table);
 * if (admin.owns(url)) return admin.fetch(request, env);
 */
export function createAdminApi(config: IdemConfig, table: RouteTable): AdminApi {
  const prefix = config.admin.pathPrefix;
  // Every admin problem links its documentation, like the gateway's.
  const problem = (kind: AdminErrorKind, detail: string, members: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    adminProblem(kind, detail, members, { ...headers, link: problemDocsLink(kind, config.problemDocsBase) });
  const stub = (env: Env, id: string) => keyObject(env, keyObjectName(id, config.keyspace), config.placement);

  const inspect = async (env: Env, id: string, withBody: boolean): Promise<Response> => {
    const snapshot = await stub(env, id).inspect(id, { body: withBody });
    if (!snapshot) return problem("admin-record-not-found", `no record ${id} (never stored, expired and deleted, or purged)`, { record: id });
    return json(recordView(snapshot, keyObjectName(id, config.keyspace)));
  };

  // An admin body is read whole before it is parsed, so it is bounded like a client's: past maxRequestBodyBytes, 413.
  const readJson = async (request: Request): Promise<{ json: unknown } | Response> => {
    let bytes: Uint8Array;
    try {
      bytes = await readBodyWithin(request, config.maxRequestBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return problem("admin-body-too-large", `${error.message}; the limit is maxRequestBodyBytes`);
      return problem("admin-invalid-request", `the body could not be read (${errorMessage(error)})`);
    }
    try {
      return { json: JSON.parse(new TextDecoder().decode(bytes)) };
    } catch {
      return problem("admin-invalid-request", "the body must be JSON");
    }
  };

  const router = Router<IRequest, [AdminContext]>({
    base: prefix,
    catch: (error: unknown) =>
      problem("admin-unavailable", `the record store could not be reached (${errorMessage(error)})`, {}, { "retry-after": "1" }),
  });

  router.get("/health", (_request, { env, log }) => {
    log.action = "health";
    return json({ status: "ok", version: IDEM_VERSION, analytics: env.ANALYTICS !== undefined, config: describeConfig(config) });
  });

  router.get("/records", async (request, { env, log }) => {
    log.action = "list";
    if (config.keyspace.strategy !== "sharded") {
      return problem(
        "admin-invalid-request",
        'records can be listed only in a sharded keyspace (keyspace.strategy = "sharded"): one object per key cannot be enumerated',
      );
    }
    const query = parseListQuery(new URL(request.url).searchParams, config.keyspace.shards);
    if ("detail" in query) return problem("admin-invalid-request", query.detail);
    return json(await listRecords(env, config, query));
  });

  router.get("/records/:id", async (request, { env, log }) => {
    log.action = "inspect";
    const id = request.params.id ?? "";
    if (!RECORD_ID.test(id)) return problem("admin-invalid-request", "a record ID is 64 lower-case hex digits, as logged in `record`");
    log.record = id;
    return inspect(env, id, flag(request, "body"));
  });

  router.delete("/records/:id", async (request, { env, log }) => {
    log.action = "purge";
    const id = request.params.id ?? "";
    if (!RECORD_ID.test(id)) return problem("admin-invalid-request", "a record ID is 64 lower-case hex digits, as logged in `record`");
    log.record = id;
    const result = await stub(env, id).purge(id, { force: flag(request, "force") });
    if (result.purged) {
      log.result = "purged";
      log.previous = result.state;
      return json({ purged: true, record: id, state: result.state });
    }
    log.result = result.reason;
    if (result.reason === "running") {
      return problem(
        "admin-record-running",
        "the first request with this key is still at the origin; purging now would let a retry run alongside it (add ?force=true to purge anyway)",
        { record: id },
      );
    }
    return problem("admin-record-not-found", `no record ${id}`, { record: id });
  });

  router.put("/records/:id/response", async (request, { env, log }) => {
    log.action = "resolve";
    const id = request.params.id ?? "";
    if (!RECORD_ID.test(id)) return adminProblem("admin-invalid-request", "a record ID is 64 lower-case hex digits, as logged in `record`");
    log.record = id;
    const input = await readJson(request);
    if (input instanceof Response) return input;
    const snapshot = await stub(env, id).inspect(id, { body: false });
    if (!snapshot) return adminProblem("admin-record-not-found", `no record ${id}`, { record: id });
    const maxBodyBytes = config.routes.find((r) => r.name === snapshot.route)?.maxStoredResponseBytes ?? DEFAULTS.maxStoredResponseBytes;
    const parsed = parseOperatorResponse(input.json, maxBodyBytes);
    if (!parsed.ok) return adminProblem("admin-invalid-request", parsed.detail);
    log.responseStatus = parsed.response.status;
    const result = await stub(env, id).resolve(id, parsed.response);
    if (result.resolved) {
      log.result = "resolved";
      log.previous = result.previous;
      return json({
        resolved: true,
        record: id,
        previous: result.previous,
        response: { status: parsed.response.status, bodyBytes: parsed.response.body.byteLength },
      });
    }
    log.result = result.reason;
    if (result.reason === "running") {
      return adminProblem("admin-record-running", "the request with this key is still at the origin; its own answer will be stored", { record: id });
    }
    if (result.reason === "completed") {
      return adminProblem("admin-record-completed", "this record already holds the origin's answer; purge it first if that answer must be replaced", {
        record: id,
      });
    }
    return adminProblem("admin-record-not-found", `no record ${id}${result.reason === "expired" ? " (it has expired)" : ""}`, { record: id });
  });

  router.post("/records/lookup", async (request, { env, log }) => {
    log.action = "lookup";
    const input = await readJson(request);
    if (input instanceof Response) return input;
    const target = await resolveLookup(config, table, input.json, new URL(request.url));
    if (!target.ok) return problem(target.kind, target.detail);
    log.record = target.recordId;
    return inspect(env, target.recordId, flag(request, "body"));
  });

  const respond = async (request: Request, env: Env, log: AdminLog): Promise<Response> => {
    // Public: clients follow these links from error answers, without a token.
    const docs = request.method === "GET" || request.method === "HEAD" ? problemDocsPage(prefix, new URL(request.url).pathname) : undefined;
    if (docs) {
      log.action = "problem-docs";
      return docs;
    }
    const token = env.ADMIN_TOKEN;
    const disabled = adminDisabledReason(token);
    if (disabled !== undefined || token === undefined) {
      log.result = "disabled";
      return problem("admin-disabled", `the admin API is off: ${disabled}`);
    }
    if (!(await bearerMatches(request.headers.get("authorization"), token))) {
      log.result = "unauthorized";
      return problem("admin-unauthorized", "send Authorization: Bearer <ADMIN_TOKEN>", {}, { "www-authenticate": 'Bearer realm="idem-admin"' });
    }
    const response: Response | undefined = await router.fetch(request, { env, log });
    if (response) return response;
    log.result = "no-such-endpoint";
    return problem("admin-not-found", `no admin endpoint ${request.method} ${new URL(request.url).pathname}`);
  };

  return {
    // Every spelling of the prefix an origin's router might read as it (`/__IDEM`, `//__idem`, `/__idem;x`):
    // the admin API refuses what it does not serve, so none of them reaches the origin.
    owns: (url) => isUnder(url.pathname, prefix),
    async fetch(request, env) {
      const log: AdminLog = { action: "refused", method: request.method, path: new URL(request.url).pathname, status: 0 };
      const response = await respond(request, env, log);
      log.status = response.status;
      logAdminAction(log);
      return response;
    },
  };
}
