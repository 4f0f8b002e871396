/**
 * What the runtime lets Idem see when an origin fails, measured against real
 * servers on 127.0.0.1 (src/origin/exchange-outcome.ts builds on it). If a
 * workerd update starts telling these apart, this test fails, and the
 * classification can become sharper than "unknown" for a refused connection.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newTag, originLog } from "../support/gateway.ts";

async function thrownBy(url: string, headers: Record<string, string> = {}): Promise<unknown> {
  try {
    const response = await fetch(url, { method: "POST", headers, body: '{"n":1}' });
    await response.text();
  } catch (error) {
    return error;
  }
  throw new Error(`${url} answered`);
}

function shapeOf(error: unknown) {
  expect(error).toBeInstanceOf(Error);
  const { name, message } = error as Error;
  return { name, message, ...(error as object) };
}

describe("the runtime's fetch() on a failed origin", () => {
  it("throws the same error for a refused connection as for a reset after the request was read and executed", async () => {
    const tag = newTag();
    const refused = shapeOf(await thrownBy(`${env.DEAD_ORIGIN_URL}/orders`));
    const reset = shapeOf(await thrownBy(`${env.ORIGIN_URL}/orders`, { "demo-tag": tag, "demo-reset": "1" }));
    // The origin did execute the reset one; nothing in the error says so.
    expect(await originLog(tag)).toHaveLength(1);
    expect(refused).toEqual(reset);
    expect(refused).toMatchObject({ message: "Network connection lost." });
  });

  it("throws the same again when the body breaks off after the status came", async () => {
    const tag = newTag();
    const broken = shapeOf(await thrownBy(`${env.ORIGIN_URL}/orders`, { "demo-tag": tag, "demo-break": "1" }));
    expect(broken).toMatchObject({ message: "Network connection lost." });
  });

  it("throws its internal error, and nothing else does, when a plain-HTTP origin's name does not resolve (before any connection)", async () => {
    const lookup = shapeOf(await thrownBy("http://idem-orders.invalid/orders"));
    expect(lookup.message).toMatch(/^internal error; reference = /);
    // Every failure once connected is told as a lost connection instead (see above): exchange-outcome.ts relies on both.
    const refused = shapeOf(await thrownBy(`${env.DEAD_ORIGIN_URL}/orders`));
    expect(refused.message).not.toMatch(/^internal error/);
  });

  it("hands a status outside 200-599 through intact", async () => {
    const response = await fetch(`${env.ORIGIN_URL}/x`, { headers: { "demo-status": "999" } });
    expect(response.status).toBe(999);
    await response.text();
  });

  it("refuses a body on GET itself, before anything is sent", async () => {
    await expect(fetch(`${env.ORIGIN_URL}/x`, { method: "GET", body: "x" })).rejects.toThrow(TypeError);
  });
});
