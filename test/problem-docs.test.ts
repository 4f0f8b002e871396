import { describe, expect, it } from "vitest";
import { ADMIN_ERROR_CATALOG, ERROR_CATALOG } from "../src/errors/catalog.ts";
import { problemType } from "../src/errors/problem-docs.ts";
import { clientRequest, gatewayFor, newTag } from "./support/gateway.ts";

const send = gatewayFor({ routes: [{ name: "create-order", path: "/orders", key: { required: true } }] });

/** The target of a `Link: <…>; rel="describedby"` header, resolved against the request's URL as RFC 8288 says. */
function describedBy(response: Response, requestUrl: string): string {
  const match = /^<([^>]+)>; rel="describedby"/.exec(response.headers.get("link") ?? "");
  if (!match?.[1]) throw new Error(`no describedby link in ${response.headers.get("link")}`);
  return new URL(match[1], requestUrl).href;
}

describe("problem documentation", () => {
  it("is linked from an error answer, and the gateway serves it without a token while the admin API is off", async () => {
    const refused = await send(clientRequest("/orders", { tag: newTag() }));
    expect(refused.status).toBe(400);
    expect((await refused.json<{ type: string }>()).type).toBe(problemType("key-required"));
    const docsUrl = describedBy(refused, "https://idem.test/orders");
    expect(docsUrl).toBe("https://idem.test/__idem/problems/key-required");

    const page = await send(new Request(docsUrl));
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await page.text();
    expect(html).toContain("Idempotency key required");
    expect(html).toContain("urn:idem:problem:key-required");
    expect(html).toMatch(/<h2>Retry\?<\/h2>\n<p>Not as it is: nothing was recorded/);
  });

  it("has a page for every problem type, the gateway's and the admin API's, and an index of them", async () => {
    const kinds = [...Object.keys(ERROR_CATALOG), ...Object.keys(ADMIN_ERROR_CATALOG)];
    for (const kind of kinds) {
      const page = await send(new Request(`https://idem.test/__idem/problems/${kind}`));
      expect(page.status, kind).toBe(200);
      expect(await page.text()).toContain("<h2>What happened</h2>");
    }
    const index = await (await send(new Request("https://idem.test/__idem/problems"))).text();
    for (const kind of kinds) expect(index).toContain(`href="/__idem/problems/${kind}"`);
    expect((await send(new Request("https://idem.test/__idem/problems/no-such-kind"))).status).toBe(404);
  });

  it("is linked from every error format, and from the admin API's problems", async () => {
    const erply = gatewayFor({ routes: [{ name: "api", path: "/api/", key: { required: true }, errors: { format: "erply" } }] });
    const refused = await erply(clientRequest("/api/", { tag: newTag(), form: { request: "saveSalesDocument" } }));
    expect(refused.status).toBe(200);
    expect(describedBy(refused, "https://idem.test/api/")).toBe("https://idem.test/__idem/problems/key-required");
    const admin = await send(new Request("https://idem.test/__idem/health"));
    expect(describedBy(admin, "https://idem.test/__idem/health")).toBe("https://idem.test/__idem/problems/admin-disabled");
  });

  it("points at problemDocsUrl when the config names one", async () => {
    const elsewhere = gatewayFor({
      problemDocsUrl: "https://docs.example.com/api/errors",
      routes: [{ name: "o", path: "/orders", key: { required: true } }],
    });
    const refused = await elsewhere(clientRequest("/orders", { tag: newTag() }));
    expect(refused.headers.get("link")).toBe('<https://docs.example.com/api/errors/key-required>; rel="describedby"; type="text/html"');
  });
});
