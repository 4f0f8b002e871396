import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { checkConfig } from "../../src/cli/check.ts";
import { COMPATIBILITY_DATE, init } from "../../src/cli/init.ts";

const FILES = ["package.json", "wrangler.toml", "idem.config.toml", "src/index.ts", ".dev.vars.example", ".gitignore"];

const read = (dir: string, file: string) => readFileSync(join(dir, file), "utf8");
const freshDir = () => mkdtempSync(join(tmpdir(), "idem-init-"));

describe("idem init", () => {
  it("writes a whole project into an empty folder, whose Idem config is valid", async () => {
    const dir = join(freshDir(), "My.Gateway");
    const { code, stdout } = await init([dir, "--origin", "https://api.shop.example"]);
    expect(code).toBe(0);
    for (const file of FILES) expect(stdout).toContain(`wrote   ${file}`);

    const pkg = JSON.parse(read(dir, "package.json"));
    expect(pkg.name).toBe("my.gateway");
    expect(pkg.scripts).toEqual({ dev: "wrangler dev", deploy: "wrangler deploy", check: "idem check" });
    expect(pkg.dependencies).toEqual({ "idem-gateway": "^0.2.0" });
    expect(Object.keys(pkg.devDependencies)).toEqual(["wrangler"]);

    const wrangler = parse(read(dir, "wrangler.toml"));
    expect(wrangler).toMatchObject({
      name: "my-gateway", // a Worker's name has no dots
      main: "src/index.ts",
      alias: { "#idem-config": "./idem.config.toml" },
      build: { command: "npm run --silent check -- --all-envs" },
      observability: { enabled: true },
      migrations: [{ tag: "v1", new_sqlite_classes: ["KeyObject", "DocumentObject"] }],
    });
    expect(read(dir, "idem.config.toml")).toMatch(/^#:schema \.\/node_modules\/idem-gateway\/idem\.config\.schema\.json\n/);
    expect(read(dir, "src/index.ts")).toContain('export { default, DocumentObject, KeyObject } from "idem-gateway/worker";');

    // The config it wrote, checked through the wrangler.toml it wrote, as its build step will.
    const check = await checkConfig(["--config", join(dir, "wrangler.toml")]);
    expect(check.stderr).toBe("");
    expect(check.code).toBe(0);
    expect(check.stdout).toContain("origin: https://api.shop.example");
    expect(check.stdout).not.toContain("  ! "); // safe defaults: nothing to warn about
  });

  it("starts on the compatibility date Idem itself is tested with", () => {
    expect(parse(readFileSync("wrangler.toml", "utf8")).compatibility_date).toBe(COMPATIBILITY_DATE);
  });

  it("adds only what is missing to a folder where the package was installed, overwriting nothing", async () => {
    const dir = freshDir();
    const installed = {
      name: "orders-edge",
      version: "1.0.0",
      scripts: { check: "my-own-check", test: "vitest" },
      dependencies: { "idem-gateway": "file:../idem-gateway-0.2.0.tgz" },
    };
    writeFileSync(join(dir, "package.json"), JSON.stringify(installed, null, 2));
    writeFileSync(join(dir, "idem.config.toml"), 'origin = "https://mine.example"\n');
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "src/index.ts"), "// mine\n");

    const { code, stdout } = await init([dir]);
    expect(code).toBe(0);
    expect(stdout).toContain("updated package.json (added scripts.dev, scripts.deploy, devDependencies.wrangler)");
    expect(stdout).toContain("kept    idem.config.toml (exists)");
    expect(stdout).toContain("kept    src/index.ts (exists)");
    expect(stdout).toContain("wrote   wrangler.toml");

    const pkg = JSON.parse(read(dir, "package.json"));
    expect(pkg.scripts).toEqual({ check: "my-own-check", test: "vitest", dev: "wrangler dev", deploy: "wrangler deploy" });
    expect(pkg.dependencies).toEqual(installed.dependencies);
    expect(pkg.version).toBe("1.0.0");
    expect(read(dir, "idem.config.toml")).toBe('origin = "https://mine.example"\n');
    expect(read(dir, "src/index.ts")).toBe("// mine\n");

    // Run again: nothing left to add, nothing rewritten.
    const before = FILES.map((file) => read(dir, file));
    const again = await init([dir]);
    expect(again.stdout).toContain("kept    package.json");
    expect(FILES.map((file) => read(dir, file))).toEqual(before);
  });

  it("refuses an origin that is no http(s) URL, and a package.json it cannot read, writing nothing", async () => {
    const dir = freshDir();
    expect((await init([dir, "--origin", "api.example.com"])).code).toBe(2);
    writeFileSync(join(dir, "package.json"), "{ not json");
    const broken = await init([dir]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("package.json");
    expect(() => read(dir, "wrangler.toml")).toThrow();
  });
});

describe("a checked build", () => {
  it("stops wrangler deploy --dry-run on a misspelt field, naming the file and the field", async () => {
    const dir = freshDir();
    expect((await init([dir, "--origin", "https://api.shop.example"])).code).toBe(0);
    // The project as init wrote it, with Idem and the idem bin taken from this repository instead of node_modules.
    const repo = process.cwd();
    const entry = join(repo, "src/worker/configured-worker.ts");
    writeFileSync(join(dir, "src/index.ts"), `export { default, DocumentObject, KeyObject } from ${JSON.stringify(entry)};\n`);
    const wranglerToml = read(dir, "wrangler.toml").replace(
      'command = "npm run --silent check -- --all-envs"',
      `command = ${JSON.stringify(`node ${join(repo, "src/cli/idem.ts")} check --all-envs`)}`,
    );
    writeFileSync(join(dir, "wrangler.toml"), wranglerToml);
    writeFileSync(join(dir, "idem.config.toml"), read(dir, "idem.config.toml").replace('path = "/orders"', 'pth = "/orders"'));

    const wrangler = join(repo, "node_modules/wrangler/bin/wrangler.js");
    const result = spawnSync(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", "out"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
    const output = `${result.stdout}${result.stderr}`;
    expect(result.status, output).not.toBe(0);
    expect(output).toContain("✗ wrangler.toml → idem.config.toml: the Idem config is invalid");
    expect(output).toContain('routes["create-order"].pth: unknown field; did you mean "path"?');
    expect(() => read(dir, "out/index.js")).toThrow(); // nothing was bundled
  });
});
