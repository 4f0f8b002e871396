import { describe, expect, it } from "vitest";
import { problemsOf } from "../../test/support/config-problems.ts";
import { loadConfig } from "./load.ts";

const origin = "https://api.example.com";

describe("origins in the config", () => {
  it("accepts a base URL, a service binding and a template with allowHosts, and routes choosing them", () => {
    const config = loadConfig({
      origin,
      origins: {
        payments: { url: "https://pay.example.com", headers: { "X-Origin-Auth": { secret: "PAY_AUTH" } } },
        customers: { service: "CUSTOMERS" },
        erply: { url: "https://{param:clientCode}.erply.com/api", allowHosts: ["*.erply.com"] },
      },
      defaults: { origin: "payments" },
      routes: [
        { name: "pay", path: "/pay" },
        { name: "sale", path: "/api/", origin: "erply", scope: ["param:sessionKey"] },
      ],
    });
    expect(config.routes.map((r) => r.origin.name)).toEqual(["payments", "erply"]);
    // The field that picks the account's host joins the scope: two accounts never share a record.
    expect(config.routes[1]?.scope.map((ref) => ref.text)).toEqual(["param:sessionKey", "param:clientCode"]);
  });

  it.each([
    [{ origin, routes: [{ name: "a", path: "/a", origin: "paymnets" }] }, 'routes["a"].origin: "paymnets" names none of origins (there are none)'],
    [{ origin, origins: { p: origin }, defaults: { origin: "q" }, routes: [] }, 'defaults.origin: "q" names none of origins (p)'],
    [{ origin: "https://{param:c}.erply.com", routes: [] }, "origin.allowHosts: required for a url with {field} placeholders"],
    [
      { origin, origins: { e: { url: "https://{path:c}.erply.com", allowHosts: ["*.erply.com"] } }, routes: [] },
      "origins.e.url: {path:c}: an origin is chosen before",
    ],
    [
      { origin, origins: { e: { url: "https://{clientCode}.erply.com", allowHosts: ["*.erply.com"] } }, routes: [] },
      "origins.e.url: {clientCode} is not a field reference",
    ],
    [
      { origin, origins: { e: { url: origin, allowHosts: ["*.erply.com"] } }, routes: [] },
      "origins.e.allowHosts: applies to a url with {field} placeholders only",
    ],
    [
      { origin, origins: { e: { url: "https://{param:c}.erply.com", allowHosts: ["erply.*"] } }, routes: [] },
      'origins.e.allowHosts[0]: must be a host name like "api.example.com" or "*.erply.com"',
    ],
    [
      { origin, origins: { e: { url: origin, headers: { "X-Auth": { secret: "not a name" } } } }, routes: [] },
      "origins.e.headers.X-Auth.secret: must be a secret's name",
    ],
    [{ origin, origins: { e: { url: origin, headers: { "X-Auth": "plain text" } } }, routes: [] }, "origins.e.headers.X-Auth"],
  ])("refuses %j", (config, problem) => {
    expect(problemsOf(config).join("\n")).toContain(problem);
  });
});
