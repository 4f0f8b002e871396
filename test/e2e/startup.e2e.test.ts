import { describe, expect, inject, it } from "vitest";
import { startBundledWorker } from "../../harness/bundled-worker.ts";

describe("start-up", () => {
  it("refuses to start with an invalid config, naming the field", async () => {
    const start = startBundledWorker({
      bundle: inject("bundlePath"),
      config: { origin: "https://api.example.com", routes: [{ name: "orders", path: "orders", ttlSeconds: 0 }] },
    });
    const failure = await start.then(
      async (worker) => {
        // Some runtimes start, then fail the first request: either way the message must name the field.
        const response = await fetch(new URL("/orders", worker.url), { method: "POST" });
        const text = await response.text();
        await worker.dispose();
        return text;
      },
      (error: Error) => error.message,
    );
    // workerd logs the message as JSON, its quotes escaped.
    const message = failure.replaceAll('\\"', '"');
    expect(message).toContain('routes["orders"].path: must start with /');
    expect(message).toContain('routes["orders"].ttlSeconds');
  });
});
