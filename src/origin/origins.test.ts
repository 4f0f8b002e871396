import { describe, expect, it } from "vitest";
import { resolveOrigin } from "../config/origins.ts";
import { RequestFields } from "../request/request-fields.ts";
import { originTarget } from "./origins.ts";

const erply = resolveOrigin("erply", { url: "https://{param:clientCode}.erply.com/api", allowHosts: ["*.erply.com", "sandbox.example.com"] });

function targetFor(clientCode: string | undefined) {
  const url = new URL(`https://idem.example/v1/?${clientCode === undefined ? "" : `clientCode=${encodeURIComponent(clientCode)}`}`);
  return originTarget(erply, new RequestFields(url, new Headers(), new Uint8Array(0)), url);
}

describe("a template origin", () => {
  it("fills the host from the request and keeps the client's path and query", () => {
    expect(targetFor("104")).toEqual({ name: "erply", url: "https://104.erply.com/api/v1/?clientCode=104", credentials: [] });
  });

  it.each([
    ["a value that adds a label", "a.b", "must be letters, digits"],
    ["a value that ends the host", "x.example.com#", "must be letters, digits"],
    ["userinfo", "me@evil", "must be letters, digits"],
    ["an empty value", "", "the request lacks param:clientCode"],
    ["a missing value", undefined, "the request lacks param:clientCode"],
  ])("refuses %s", (_, value, detail) => {
    expect(targetFor(value)).toMatchObject({ refused: true, detail: expect.stringContaining(detail) });
  });

  it("allows exactly one label for *. and the exact host otherwise", () => {
    const hosts = (url: string, allowHosts: string[]) => {
      const origin = resolveOrigin("o", { url, allowHosts });
      const request = new URL("https://idem.example/");
      return originTarget(origin, new RequestFields(request, new Headers({ "x-a": "shop" }), new Uint8Array(0)), request);
    };
    expect(hosts("https://{header:X-A}.erply.com", ["*.erply.com"])).not.toHaveProperty("refused");
    expect(hosts("https://{header:X-A}.eu.erply.com", ["*.erply.com"])).toMatchObject({ refused: true });
    expect(hosts("https://{header:X-A}erply.com", ["*.erply.com"])).toMatchObject({ refused: true });
    expect(hosts("https://{header:X-A}.example.com", ["shop.example.com"])).not.toHaveProperty("refused");
    expect(hosts("https://{header:X-A}.example.com", ["api.example.com"])).toMatchObject({ refused: true });
  });
});

describe("other origins", () => {
  it("append the client's path and query to a base URL, and keep the client's host behind a service binding", () => {
    const url = new URL("https://shop.example/orders?x=1");
    const fields = new RequestFields(url, new Headers(), new Uint8Array(0));
    expect(originTarget(resolveOrigin("origin", "https://api.example.com/v2/"), fields, url)).toEqual({
      name: "origin",
      url: "https://api.example.com/v2/orders?x=1",
      credentials: [],
    });
    expect(originTarget(resolveOrigin("c", { service: "CUSTOMERS", headers: { "X-Origin-Auth": { secret: "AUTH" } } }), fields, url)).toEqual({
      name: "c",
      url: "https://shop.example/orders?x=1",
      binding: "CUSTOMERS",
      credentials: [{ header: "x-origin-auth", secret: "AUTH", passThrough: false }],
    });
  });
});
