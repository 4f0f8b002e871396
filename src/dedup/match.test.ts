import { describe, expect, it } from "vitest";
import { loadConfig } from "../config/load.ts";
import type { Route } from "../model/config.ts";
import { FieldError } from "../request/field-error.ts";
import { RequestFields } from "../request/request-fields.ts";
import { matchDedup } from "./match.ts";

const route = loadConfig({
  origin: "https://api.example",
  routes: [
    {
      name: "api",
      path: "/api/",
      clientField: "header:X-Client",
      dedup: [
        { name: "berlin", clients: ["BerlinPOS"], when: { "param:request": "sale" }, prerequisites: ["param:employee"], compare: ["param:no"] },
        { name: "sale", exceptClients: ["BerlinPOS"], when: { "param:request": "sale" }, prerequisites: ["param:time"], compare: ["param:no"] },
        { name: "payment", clients: ["TouchPOS"], when: { "param:request": "payment" }, prerequisites: ["param:sum"], compare: ["param:sum"] },
        { name: "fallback", prerequisites: ["param:no"], compare: ["param:no"] },
      ],
    },
  ],
}).routes[0] as Route;

function request(body: string, client?: string): RequestFields {
  const headers = new Headers({ "content-type": "application/x-www-form-urlencoded" });
  if (client !== undefined) headers.set("x-client", client);
  return new RequestFields(new URL("https://idem.test/api/"), headers, new TextEncoder().encode(body));
}

describe("matchDedup", () => {
  it("lets the first rule whose conditions and clients fit decide", async () => {
    expect((await matchDedup(route, request("request=sale&no=1&time=1&employee=2", "BerlinPOS")))?.rule.name).toBe("berlin");
    expect((await matchDedup(route, request("request=sale&no=1&time=1&employee=2", "TouchPOS")))?.rule.name).toBe("sale");
    expect((await matchDedup(route, request("request=sale&no=1&time=1")))?.rule.name).toBe("sale");
    expect((await matchDedup(route, request("request=payment&sum=1", "TouchPOS")))?.rule.name).toBe("payment");
  });

  it("does no check at all when the deciding rule misses a prerequisite: no later rule is tried", async () => {
    expect(await matchDedup(route, request("request=sale&no=1&time=1", "BerlinPOS"))).toBeUndefined();
    expect(await matchDedup(route, request("request=sale&no=1&time=", "TouchPOS"))).toBeUndefined();
  });

  it("skips a rule whose client list the request's client is not on, or names no client", async () => {
    expect((await matchDedup(route, request("request=payment&sum=1&no=9", "WebShop")))?.rule.name).toBe("fallback");
    expect((await matchDedup(route, request("request=payment&sum=1&no=9")))?.rule.name).toBe("fallback");
  });

  it("gives equal hashes exactly for equal compared content", async () => {
    const hash = async (body: string) => (await matchDedup(route, request(body)))?.contentHash;
    expect(await hash("request=sale&no=1&time=1")).toBe(await hash("time=2&no=1&request=sale"));
    expect(await hash("request=sale&no=1&time=1")).not.toBe(await hash("request=sale&no=2&time=1"));
  });

  it("throws FieldError, rather than let the request through unchecked, when a field cannot be read unambiguously", async () => {
    await expect(matchDedup(route, request("request=sale&request=payment&no=1&time=1"))).rejects.toBeInstanceOf(FieldError);
    await expect(matchDedup(route, request("request=sale&no=1&no=1&time=1"))).rejects.toBeInstanceOf(FieldError);
    const broken = new RequestFields(
      new URL("https://idem.test/api/"),
      new Headers({ "content-type": "application/json" }),
      new TextEncoder().encode("{"),
    );
    await expect(matchDedup(route, broken)).rejects.toBeInstanceOf(FieldError);
  });
});
