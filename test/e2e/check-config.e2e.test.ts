import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startOrdersOrigin } from "../../demo/orders-origin.ts";
import { checkConfig as runCheckConfig } from "../../src/cli/check.ts";
import { useBundledStack } from "./support/stack.ts";

const dir = mkdtempSync(join(tmpdir(), "idem-check-config-"));

/** Runs check-config in this process (fast), as the CLI would. */
const checkConfig = (...args: string[]) => runCheckConfig(args);

/** Runs the real CLI in its own process, for what only a process has: its exit code and output streams. */
function checkConfigProcess(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ["src/cli/idem.ts", "check", ...args], {
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function jsonFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
}

describe("check-config validates", () => {
  it.each([
    ["wrangler.toml", []],
    ["wrangler.toml", ["--env", "staging"]],
    ["wrangler.toml", ["--env", "production"]],
    ["examples/stripe/wrangler.toml", []],
    ["examples/printone/wrangler.toml", []],
    ["examples/commerce/wrangler.toml", []],
    ["examples/commerce/wrangler.toml", ["--env", "production"]],
  ])("accepts %s %j and prints its routes", async (config, env) => {
    const { code, stdout } = await checkConfig("--config", config, ...env);
    expect(code).toBe(0);
    expect(stdout).toMatch(/the Idem config is valid \(\d+ routes?\)/);
    expect(stdout).toContain("Routes (in order");
  });

  it("reads the environment's own IDEM_CONFIG", async () => {
    const { stdout } = await checkConfig("--env", "production");
    expect(stdout).toContain("origin: https://api.example.com");
    expect(stdout).toContain('placement: {"locationHint":"weur","jurisdiction":"eu"}');
  });

  it("accepts a JSON config that names its $schema, as an editor would write it", async () => {
    const path = jsonFile("idem.config.json", {
      $schema: "../idem.config.schema.json",
      origin: "https://api.example.com",
      routes: [{ name: "orders", path: "/orders", ttlSeconds: 600 }],
    });
    const { code, stdout } = await checkConfig("--config", path);
    expect(code).toBe(0);
    expect(stdout).toContain("ttlSeconds: 600");
  });

  it("rejects a bad config with exit code 1 and one line per mistake, naming each field", async () => {
    const path = jsonFile("bad.json", {
      origin: "ftp://api.example.com",
      routes: [
        { name: "orders", path: "orders", bogus: true },
        { name: "orders", path: "/__idem/x" },
        { name: "mail", path: "/mail", key: { source: ["body:zip", "body:house"], pattern: "^[0-9]+$" } },
      ],
    });
    const { code, stdout, stderr } = await checkConfig("--config", path);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain("the Idem config is invalid");
    expect(stderr).toContain("- origin: must be http:// or https://");
    expect(stderr).toContain("- routes[0].path: must start with /");
    expect(stderr).toContain("- routes[0].bogus: unknown field");
  });

  it("reports cross-field mistakes once the shape is right", async () => {
    const path = jsonFile("cross.json", {
      origin: "https://api.example.com",
      routes: [
        { name: "orders", path: "/orders" },
        { name: "orders", path: "/__idem/x" },
        { name: "mail", path: "/mail", key: { source: ["body:zip", "path:house"], pattern: "^[0-9]+$" } },
      ],
    });
    const { code, stderr } = await checkConfig("--config", path);
    expect(code).toBe(1);
    expect(stderr).toContain('- routes[1].name: "orders" is used by another route');
    expect(stderr).toContain("- routes[1].path: overlaps the admin prefix /__idem");
    expect(stderr).toContain('- routes["mail"].key.source[1]: "path:house" names no parameter of path /mail');
    expect(stderr).toContain('- routes["mail"].key.pattern: applies to a key the client sends, not to a key built from a list of fields');
  });

  it("explains what each route does with an unknown outcome, and warns about a release the origin cannot deduplicate", async () => {
    const path = jsonFile("unknown-outcome.json", {
      origin: "https://api.example.com",
      routes: [
        { name: "payments", path: "/payments" },
        { name: "search", path: "/search", onUnknownOutcome: "release" },
        { name: "ledger", path: "/ledger", onUnknownOutcome: "release", forwardKey: { header: "Idem-Record" } },
      ],
    });
    const { code, stdout } = await checkConfig("--config", path);
    expect(code).toBe(0);
    const section = (route: string) => stdout.slice(stdout.indexOf(`  ${route}  `)).split(/\n {2}(?! )/)[0] ?? "";
    expect(section("payments")).toContain("onUnknownOutcome: remember");
    expect(section("payments")).toContain("retries get 502/504 outcome-unknown and the origin is never called again");
    expect(section("search")).toContain("a retry runs the request again");
    expect(section("search")).toContain("! without forwardKey");
    expect(section("ledger")).toContain('forwardKey: {"header":"idem-record","value":"record"}');
    expect(section("ledger")).not.toContain("! without forwardKey");
  });

  it("refuses a forwardKey header that frames the request or that Idem sets", async () => {
    const path = jsonFile("forward-key.json", {
      origin: "https://api.example.com",
      routes: [{ name: "orders", path: "/orders", forwardKey: { header: "Content-Length" } }],
    });
    const { code, stderr } = await checkConfig("--config", path);
    expect(code).toBe(1);
    expect(stderr).toContain('- routes["orders"].forwardKey.header: Content-Length frames the request or is set by Idem itself');
  });

  it("refuses an origin on the custom domain the Worker itself serves, which would loop", async () => {
    const loopDir = mkdtempSync(join(dir, "loop-"));
    const wranglerToml = join(loopDir, "wrangler.toml");
    writeFileSync(
      wranglerToml,
      [
        'name = "loop"',
        'main = "index.ts"',
        'compatibility_date = "2026-11-01"',
        'routes = [{ pattern = "api.example.com", custom_domain = true }]',
        "[vars.IDEM_CONFIG]",
        'origin = "https://api.example.com"',
        "routes = []",
      ].join("\n"),
    );
    const { code, stderr } = await checkConfig("--config", wranglerToml);
    expect(code).toBe(1);
    expect(stderr).toContain("origin: https://api.example.com is a custom domain of this Worker");
  });

  it("rejects text that is not JSON, a wrangler environment that does not exist, and unknown options", async () => {
    const notJson = await checkConfig("--config", jsonFile("broken.json", "{ origin: "));
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toContain("(file): is not valid JSON");
    const noEnv = await checkConfig("--env", "qa");
    expect(noEnv.code).toBe(2);
    expect(noEnv.stderr).toContain('No environment found in configuration with name "qa"');
    const noEnvInExample = await checkConfig("--config", "examples/stripe/wrangler.toml", "--env", "qa");
    expect(noEnvInExample.stderr).toContain("examples/stripe/wrangler.toml defines no [env.qa]");
    expect((await checkConfig("--frobnicate")).code).toBe(2);
  });

  it("warns when IDEM_CONFIG is larger than one Cloudflare variable may be", async () => {
    const routes = Array.from({ length: 80 }, (_, i) => ({ name: `route-${i}`, path: `/resources-${i}/:id`, methods: ["POST", "PATCH"] }));
    const wrangler = join(mkdtempSync(join(dir, "large-")), "wrangler.json");
    writeFileSync(
      wrangler,
      JSON.stringify({
        name: "large",
        main: "index.ts",
        compatibility_date: "2026-11-01",
        vars: { IDEM_CONFIG: { origin: "https://api.example.com", routes } },
      }),
    );
    const { code, stdout } = await checkConfig("--config", wrangler);
    expect(code).toBe(0);
    expect(stdout).toMatch(/IDEM_CONFIG is \d+ bytes as JSON; Cloudflare limits one environment variable to 5 KB.*move it to idem\.config\.toml/);
  });

  it("prints the effective config as JSON with --json", async () => {
    const { code, stdout } = await checkConfig("--config", "examples/stripe/wrangler.toml", "--json");
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { valid: boolean; config: { routes: { name: string; concurrency: string; scope: string[] }[] } };
    expect(result.valid).toBe(true);
    expect(result.config.routes[0]).toMatchObject({
      name: "v1",
      concurrency: "conflict",
      scope: ["header:Authorization", "header:Stripe-Account", "header:Stripe-Context"],
      anonymous: "refuse",
    });
  });

  it("warns about each route where callers without a scope field share records, and not about routes that refuse them", async () => {
    const routes = [
      { name: "shared", path: "/orders", anonymous: "share" },
      { name: "refused", path: "/payments", anonymous: "refuse" },
      // Refused by default: no warning.
      { name: "default", path: "/carts" },
      { name: "unscoped", path: "/public", scope: [] },
    ];
    const { code, stdout } = await checkConfig("--config", jsonFile("anonymous.json", { origin: "https://api.example.com", routes }));
    expect(code).toBe(0);
    const warnings = stdout.split("\n").filter((line) => line.startsWith("  ! "));
    expect(warnings).toEqual([
      '  ! routes "shared": a request with a key but no header:Authorization shares one scope with every other such request, so those callers see each other\'s answers; set anonymous = "refuse" to answer them 400 (docs/behaviour.md, rule 3)',
      '  ! routes "unscoped": scope is empty, so every caller shares one scope: two callers sending the same key see each other\'s answers',
    ]);
    for (const example of ["examples/stripe/wrangler.toml", "examples/erply/wrangler.toml", "examples/printone/wrangler.toml"]) {
      expect((await checkConfig("--config", example)).stdout).not.toContain("  ! ");
    }
  });
});

describe("the shipped templates (issue 22, item 2: safe defaults)", () => {
  const examples = readdirSync("examples").map((name) => join("examples", name, "wrangler.toml"));
  it.each([
    ["wrangler.toml", ""],
    ["wrangler.toml", "staging"],
    ["wrangler.toml", "production"],
    ...examples.map((file): [string, string] => [file, ""]),
    ["examples/commerce/wrangler.toml", "production"],
    ["examples/commerce/idem.config.toml", ""],
    ["examples/commerce/idem.config.toml", "production"],
  ])("%s --env=%s passes check-config with no warning", async (config, env) => {
    const { code, stdout } = await checkConfig("--config", config, `--env=${env}`);
    expect(code).toBe(0);
    expect(stdout).toMatch(/the Idem config is valid/);
    expect(stdout).not.toMatch(/^\s*! /m);
  });
});

describe("check-config on a config file", () => {
  /** A wrangler.toml beside an idem.config.toml, in a fresh folder. */
  function project(wrangler: string[], file: string, fileName = "idem.config.toml", wranglerName = "wrangler.toml"): string {
    const folder = mkdtempSync(join(dir, "project-"));
    writeFileSync(join(folder, fileName), file);
    const path = join(folder, wranglerName);
    writeFileSync(
      path,
      ['name = "p"', 'main = "index.ts"', 'compatibility_date = "2026-11-01"', `alias = { "#idem-config" = "./${fileName}" }`, ...wrangler].join(
        "\n",
      ),
    );
    return path;
  }
  const FILE = [
    'origin = "https://api.example.com"',
    "[[routes]]",
    'name = "orders"',
    'path = "/orders"',
    "[env.production]",
    'origin = "https://prod.example.com"',
  ].join("\n");

  it("reads the file a wrangler config bundles, and the [env.<name>] section its IDEM_ENV names", async () => {
    const wrangler = project(["[env.production]", 'vars = { IDEM_ENV = "production" }'], FILE);
    const top = await checkConfig("--config", wrangler);
    expect(top.stdout).toMatch(/wrangler\.toml → .*idem\.config\.toml: the Idem config is valid \(1 route\)/);
    expect(top.stdout).toContain("origin: https://api.example.com");
    const production = await checkConfig("--config", wrangler, "--env", "production");
    expect(production.stdout).toContain("origin: https://prod.example.com");
  });

  it("tells a wrangler file from an Idem config by what it holds, not by its name", async () => {
    const renamed = await checkConfig(
      "--config",
      project(["[env.production]", 'vars = { IDEM_ENV = "production" }'], FILE, undefined, "wrangler.prod.toml"),
    );
    expect(renamed.code).toBe(0);
    expect(renamed.stdout).toMatch(/wrangler\.prod\.toml → .*idem\.config\.toml: the Idem config is valid \(1 route\)/);
    const jsonc = jsonFile(
      "deploy.jsonc",
      '{\n  // wrangler reads comments in JSONC\n  "name": "p", "main": "index.ts", "compatibility_date": "2026-11-01",\n  "vars": { "IDEM_CONFIG": { "origin": "https://api.example.com", "routes": [] } },\n}',
    );
    expect((await checkConfig("--config", jsonc)).stdout).toMatch(/deploy\.jsonc: the Idem config is valid \(0 routes\)/);
    const folder = mkdtempSync(join(dir, "misnamed-"));
    writeFileSync(join(folder, "wrangler.toml"), FILE);
    const idemNamedWrangler = await checkConfig("--config", join(folder, "wrangler.toml"), "--env", "production");
    expect(idemNamedWrangler.stdout).toContain("origin: https://prod.example.com");
  });

  it("reads a config file given directly, --env naming its section", async () => {
    const path = jsonFile("idem.config.toml", FILE);
    expect((await checkConfig("--config", path, "--env", "production")).stdout).toContain("origin: https://prod.example.com");
  });

  it("refuses a wrangler environment whose section would not apply, because its IDEM_ENV does not name it", async () => {
    const { code, stderr } = await checkConfig("--config", project(["[env.production]", "vars = {}"], FILE), "--env", "production");
    expect(code).toBe(1);
    expect(stderr).toContain("env.production.vars.IDEM_ENV: is not set, so the [env.production] section of");
  });

  it("refuses the file and IDEM_CONFIG together, and a file the Worker could not name", async () => {
    const both = await checkConfig("--config", project(["[vars.IDEM_CONFIG]", 'origin = "https://a.example"', "routes = []"], FILE));
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/IDEM_CONFIG: is set, and the config file .*idem\.config\.toml is bundled too; keep one of them/);
    const named = await checkConfig("--config", project([], FILE, "routes.toml"));
    expect(named.stderr).toContain('alias "#idem-config": points at ./routes.toml; name the file idem.config.toml or idem.config.json');
  });

  it("names the file and the field of a mistake, and never warns about the variable's 5 KB", async () => {
    const bad = await checkConfig("--config", project([], FILE.replace('path = "/orders"', 'path = "orders"')));
    expect(bad.stderr).toMatch(/✗ .*idem\.config\.toml: the Idem config is invalid\n {2}- routes\["orders"\]\.path: must start with \//);
    const routes = Array.from({ length: 80 }, (_, i) => `[[routes]]\nname = "r${i}"\npath = "/resources-${i}/:id"`).join("\n");
    const large = await checkConfig("--config", project([], `origin = "https://api.example.com"\n${routes}`));
    expect(large.stdout).toContain("the Idem config is valid (80 routes)");
    expect(large.stdout).not.toContain("5 KB");
  });

  it("explains a request against the file", async () => {
    const { stdout } = await checkConfig(
      "--config",
      project([], FILE),
      "--explain",
      "POST /orders",
      "--header",
      "Idempotency-Key: k-1",
      "--header",
      "Authorization: Bearer alice",
    );
    expect(stdout).toContain("key         k-1");
  });
});

describe("check-config on examples/commerce", () => {
  it("reads its 112 routes from the file, names the secret its payments origin reads, and shows no secret value", async () => {
    const { code, stdout } = await checkConfig("--config", "examples/commerce/wrangler.toml", "--env", "production", "--json");
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { sizeBytes: number; config: { routes: { origin?: string }[]; origins: Record<string, unknown> } };
    expect(result.config.routes).toHaveLength(112);
    expect(result.sizeBytes).toBeGreaterThan(5 * 1024);
    // A route on the top-level origin names none.
    expect(new Set(result.config.routes.map((r) => r.origin))).toEqual(new Set([undefined, "payments", "customers"]));
    expect(result.config.origins.payments).toEqual({
      url: "https://payments.internal.example.com",
      headers: { "x-origin-auth": { secret: "PAYMENTS_ORIGIN_AUTH" } },
    });
    const text = await checkConfig("--config", "examples/commerce/wrangler.toml");
    expect(text.stdout).toContain(
      "secrets the origins read (set each with wrangler secret put): PAYMENTS_ORIGIN_AUTH (origins.payments.headers.x-origin-auth: requests a route takes)",
    );
  });

  it("explains which back end a request goes to", async () => {
    const { stdout } = await checkConfig(
      "--config",
      "examples/commerce/wrangler.toml",
      "--explain",
      "POST /payments/pay_1/refunds",
      "--header",
      "Authorization: Bearer alice",
      "--header",
      "Idempotency-Key: r-1",
    );
    expect(stdout).toContain("route       create-refund");
    expect(stdout).toContain("origin      payments: http://127.0.0.1:8792/payments/pay_1/refunds");
  });

  it("refuses a service binding its wrangler environment does not declare", async () => {
    const folder = mkdtempSync(join(dir, "unbound-"));
    writeFileSync(join(folder, "idem.config.toml"), 'origin = { service = "ORDERS" }\nroutes = []\n');
    writeFileSync(
      join(folder, "wrangler.toml"),
      'name = "u"\nmain = "index.ts"\ncompatibility_date = "2026-11-01"\nalias = { "#idem-config" = "./idem.config.toml" }\n',
    );
    const { code, stderr } = await checkConfig("--config", join(folder, "wrangler.toml"));
    expect(code).toBe(1);
    expect(stderr).toContain('origin.service: this wrangler environment declares no service binding ORDERS ([[services]] binding = "ORDERS")');
  });
});

describe("the check-config command", () => {
  it("exits 0 and prints to stdout for a valid config, 1 and stderr for an invalid one, 2 for a usage mistake", () => {
    const valid = checkConfigProcess("--config", "examples/stripe/wrangler.toml");
    expect(valid.code).toBe(0);
    expect(valid.stdout).toContain("the Idem config is valid");
    const invalid = checkConfigProcess("--config", jsonFile("invalid.json", { origin: "https://x.example", routes: [{ name: "a" }] }));
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toBe("");
    expect(invalid.stderr).toContain('routes["a"].path');
    const usage = checkConfigProcess("--explain");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("Usage: idem check");
  });
});

describe("check-config --explain", () => {
  it("says a request no route takes passes through, and why Idem would refuse a bad one", async () => {
    const unrouted = await checkConfig("--explain", "GET /orders/7");
    expect(unrouted.stdout).toContain("route       none: streamed to the origin untouched");
    const badKey = await checkConfig("--explain", "POST /orders", "--header", "Idempotency-Key: two words");
    expect(badKey.stdout).toContain("answer      Idem refuses it: invalid-key");
    const noKey = await checkConfig("--env", "production", "--explain", "POST /orders");
    expect(noKey.stdout).toContain("Idem refuses it: key-required");
  });

  it("names a key built from several body fields", async () => {
    const { stdout } = await checkConfig(
      "--config",
      "examples/printone/wrangler.toml",
      "--explain",
      "POST /v2/batches/b7/orders",
      "--header",
      "X-API-Key: pk_1",
      "--header",
      "Content-Type: application/json",
      "--body",
      '{"address":{"postalCode":"1012 AB","houseNumber":"12a"}}',
    );
    expect(stdout).toContain("candidate   mailing-per-address (/v2/batches/:batchId/orders): conditions hold");
    expect(stdout).toContain('key         ["1012 AB","12a"]');
    expect(stdout).toMatch(/record {6}[0-9a-f]{64}/);
  });

  it("explains each call of an Erply bulk request as if it were sent alone", async () => {
    const requests = JSON.stringify([
      { requestName: "saveSalesDocument", requestID: 1, temporaryUUID: "u-1" },
      { requestName: "getProducts" },
      { requestName: "deleteSalesDocument", documentID: "9" },
      { requestName: "saveSalesDocument", temporaryUUID: "bad_key" },
    ]);
    const body = new URLSearchParams({ clientCode: "1", sessionKey: "s", requests }).toString();
    const form = ["--header", "Content-Type: application/x-www-form-urlencoded"];
    const { stdout } = await checkConfig("--config", "examples/erply/wrangler.toml", "--explain", "POST /api/", ...form, "--body", body);
    expect(stdout).toContain("route       bulk: a bulk request; each call is planned as if it were sent alone");
    expect(stdout).toMatch(/call 1 {6}saveSalesDocument: route save-sales-document, key u-1, record [0-9a-f]{64}/);
    expect(stdout).toContain("call 2      getProducts: no route: sent on with the other such calls");
    expect(stdout).toContain("call 3      deleteSalesDocument: route delete-sales-document, document 9 (runs alone, in its turn)");
    expect(stdout).toContain("call 4      saveSalesDocument: refused: invalid-key");
  });

  it("guesses no Content-Type: a JSON body sent without one is refused (415), as the gateway refuses it", async () => {
    const explain = ["--config", "examples/printone/wrangler.toml", "--explain", "POST /v2/orders", "--header", "X-API-Key: pk_1"];
    const body = ["--body", '{"customerId":"cus_9"}'];
    expect((await checkConfig(...explain, ...body)).stdout).toContain("Idem refuses it: unsupported-media-type");
    expect((await checkConfig(...explain, "--header", "Content-Type: application/json", ...body)).stdout).toContain("key         cus_9");
  });

  it("reads the body from a file with --body @file", async () => {
    const body = jsonFile("order.json", { customerId: "cus_9" });
    const explain = [
      "--config",
      "examples/printone/wrangler.toml",
      "--explain",
      "POST /v2/orders",
      "--header",
      "Content-Type: application/json",
      "--body",
      `@${body}`,
    ];
    expect((await checkConfig(...explain, "--header", "X-API-Key: pk_1")).stdout).toContain("key         cus_9");
    // Without its API key the example refuses the order rather than share a record with other such callers.
    expect((await checkConfig(...explain)).stdout).toContain("Idem refuses it: caller-unidentified");
  });
});

describe("check-config and the deployed Worker agree", () => {
  const TOKEN = "e2e-admin-token-0123456789abcdef0123";
  const WRANGLER_CONFIG = "examples/printone/wrangler.toml";
  const stack = useBundledStack({ origin: startOrdersOrigin, example: WRANGLER_CONFIG, bindings: { ADMIN_TOKEN: TOKEN } });

  const admin = (path: string) => fetch(new URL(`/__idem${path}`, stack().worker.url), { headers: { authorization: `Bearer ${TOKEN}` } });

  it("the record check-config names is the one the bundled Worker stores", async () => {
    const body = '{"customerId":"cus_agree","templateId":"card-a"}';
    const explained = await checkConfig(
      "--config",
      WRANGLER_CONFIG,
      "--explain",
      "POST /v2/orders",
      "--header",
      "X-API-Key: pk_agree",
      "--header",
      "Content-Type: application/json",
      "--body",
      body,
    );
    const recordId = /record {6}([0-9a-f]{64})/.exec(explained.stdout)?.[1];
    expect(recordId).toBeDefined();

    const sent = await fetch(new URL("/v2/orders", stack().worker.url), {
      method: "POST",
      headers: { "x-api-key": "pk_agree", "content-type": "application/json" },
      body,
    });
    expect(sent.status).toBe(200);
    const record = await admin(`/records/${recordId}`);
    expect(record.status).toBe(200);
    expect(await record.json()).toMatchObject({ record: recordId, route: "order-per-customer", state: "completed" });
  });

  it("the bundle reports the version of package.json", async () => {
    const health = (await (await admin("/health")).json()) as { version: string };
    expect(health.version).toBe((JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version);
  });
});
