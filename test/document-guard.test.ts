import { describe, expect, it } from "vitest";
import { problemType } from "../src/errors/problem-docs.ts";
import { clientRequest, gatewayFor, newTag, originLog, originReceived } from "./support/gateway.ts";

// The document guard on a REST-shaped API, with the default error format (RFC 9457 problems).
const send = gatewayFor({
  routes: [
    { name: "edit-order", path: "/echo/orders/:id", methods: ["PATCH"], document: { id: "path:id", group: "order", editTimeoutMs: 200 } },
    { name: "delete-order", path: "/echo/orders/:id", methods: ["DELETE"], document: { id: "path:id", group: "order", delete: true } },
    { name: "delete-doc", path: "/echo/documents/delete", document: { id: "body:/document/id", delete: true } },
  ],
});

describe("document guard with problem+json errors", () => {
  it("answers 409 edit-timeout to an edit queued behind one slower than the edit timeout", async () => {
    const tag = newTag();
    const slow = send(clientRequest("/echo/orders/o-1", { tag, method: "PATCH", json: { n: 1 }, headers: { "demo-delay": "2000" } }));
    await originReceived(tag, 1);
    const queued = await send(clientRequest("/echo/orders/o-1", { tag, method: "PATCH", json: { n: 2 } }));
    expect(queued.status).toBe(409);
    expect(queued.headers.get("content-type")).toBe("application/problem+json");
    expect(await queued.json()).toMatchObject({ type: problemType("edit-timeout"), status: 409 });
    expect((await slow).status).toBe(200);
    expect(await originLog(tag)).toHaveLength(1);
  });

  it("answers 409 delete-in-progress to a second delete, with the document ID from a JSON pointer", async () => {
    const tag = newTag();
    const body = { document: { id: "d-1" } };
    const first = send(clientRequest("/echo/documents/delete", { tag, json: body, headers: { "demo-delay": "1000" } }));
    await originReceived(tag, 1);
    const second = await send(clientRequest("/echo/documents/delete", { tag, json: body }));
    expect(second.status).toBe(409);
    expect(await second.json()).toMatchObject({ type: problemType("delete-in-progress"), status: 409 });
    // Refused by the queue: the origin was never called, so no origin time is reported.
    expect(second.headers.get("server-timing")).not.toContain("origin");
    // Another document is not affected.
    expect((await send(clientRequest("/echo/documents/delete", { tag, json: { document: { id: "d-2" } } }))).status).toBe(200);
    expect((await first).status).toBe(200);
    expect(await originLog(tag)).toHaveLength(2);
  });

  it("keeps the same document ID of two callers apart", async () => {
    const tag = newTag();
    const first = send(clientRequest("/echo/orders/o-2", { tag, method: "DELETE", auth: "Bearer alice", headers: { "demo-delay": "1000" } }));
    await originReceived(tag, 1);
    const other = await send(clientRequest("/echo/orders/o-2", { tag, method: "DELETE", auth: "Bearer bob" }));
    expect(other.status).toBe(200);
    expect((await first).status).toBe(200);
  });
});
