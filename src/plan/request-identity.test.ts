import { describe, expect, it } from "vitest";
import { loadConfig } from "../config/load.ts";
import type { Route } from "../model/config.ts";
import { RequestFields } from "../request/request-fields.ts";
import { identifyRequest } from "./request-identity.ts";

const route = loadConfig({
  origin: "https://api.example",
  routes: [
    {
      name: "save-sale",
      path: "/api/",
      scope: ["param:account"],
      key: { source: "param:uuid" },
      document: { id: "param:id" },
      dedup: [{ name: "sale", prerequisites: ["param:no"], compare: ["param:no"] }],
    },
  ],
}).routes[0] as Route;

function form(body: string): RequestFields {
  const headers = new Headers({ "content-type": "application/x-www-form-urlencoded" });
  return new RequestFields(new URL("https://idem.test/api/"), headers, new TextEncoder().encode(body));
}

describe("identifyRequest", () => {
  it("follows the key when the request has one, whatever the dedup rules say", async () => {
    expect(await identifyRequest(route, form("account=a&uuid=u1&no=7"))).toMatchObject({ type: "key", key: "u1" });
  });

  it("checks a request without a key and without a document ID (a new document) against the dedup rules", async () => {
    expect(await identifyRequest(route, form("account=a&no=7"))).toMatchObject({ type: "dedup", rule: { name: "sale" } });
    expect(await identifyRequest(route, form("account=a&no=7&id="))).toMatchObject({ type: "dedup", rule: { name: "sale" } });
  });

  it("never checks a request that names its document (an edit) against the dedup rules: it only waits its turn", async () => {
    const identity = await identifyRequest(route, form("account=a&no=7&id=1001"));
    expect(identity).toMatchObject({ type: "unrecorded", document: { id: "1001" } });
  });
});
