import { describe, expect, it } from "vitest";
import { startPrintoneOrigin } from "../../examples/printone/origin.ts";
import { clientFor } from "./support/demo-client.ts";
import { useBundledStack } from "./support/stack.ts";

const DAY_MS = 86_400_000;
const client = clientFor(useBundledStack({ origin: startPrintoneOrigin, example: "examples/printone/wrangler.toml" }));

const account = { "x-api-key": "pk_live_shop" };

describe("examples/printone: one order per customer, one mailing per address, within 24 h", () => {
  it("replays a retried order for the same customer and says until when it is remembered", async () => {
    const tag = "po-retry";
    const order = { headers: account, json: { customerId: "cus_1", templateId: "card-a" }, tag };
    const started = Date.now();
    const first = await client.send("/v2/orders", order);
    const retry = await client.send("/v2/orders", order);
    expect(first.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.text()).toBe(await first.text());
    const expires = Date.parse(first.headers.get("idempotency-expires") ?? "");
    expect(expires).toBeGreaterThanOrEqual(started + DAY_MS - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + DAY_MS);
    expect(client.executed(tag)).toHaveLength(1);
  });

  it("refuses a different order for the same customer within 24 h, and lets other customers order", async () => {
    const tag = "po-second-order";
    await client.send("/v2/orders", { headers: account, json: { customerId: "cus_2", templateId: "card-a" }, tag });
    const second = await client.send("/v2/orders", { headers: account, json: { customerId: "cus_2", templateId: "card-b" }, tag });
    expect(second.status).toBe(409);
    expect(((await second.json()) as { title: string }).title).toBe("An order for this customer was already placed in the last 24 hours");
    const other = await client.send("/v2/orders", { headers: account, json: { customerId: "cus_3", templateId: "card-b" }, tag });
    expect(other.status).toBe(201);
    expect(client.executed(tag)).toHaveLength(2);
  });

  it("keeps customers of different API keys apart", async () => {
    const tag = "po-accounts";
    const json = { customerId: "cus_4", templateId: "card-a" };
    await client.send("/v2/orders", { headers: account, json, tag });
    const otherShop = await client.send("/v2/orders", { headers: { "x-api-key": "pk_live_other" }, json: { ...json, templateId: "x" }, tag });
    expect(otherShop.status).toBe(201);
    expect(client.executed(tag)).toHaveLength(2);
  });

  it("refuses a second mailing to the same address, across batches, whatever the recipient's name", async () => {
    const tag = "po-address";
    const address = { postalCode: "1012 AB", houseNumber: "12a" };
    const first = await client.send("/v2/batches/b1/orders", { headers: account, json: { name: "A. Jansen", address }, tag });
    const sameAddress = await client.send("/v2/batches/b2/orders", { headers: account, json: { name: "B. Jansen", address }, tag });
    const nextDoor = await client.send("/v2/batches/b2/orders", {
      headers: account,
      json: { name: "C. de Vries", address: { ...address, houseNumber: "14" } },
      tag,
    });
    expect(first.status).toBe(201);
    expect(sameAddress.status).toBe(409);
    expect(((await sameAddress.json()) as { title: string }).title).toBe("An order for this address was already placed in the last 24 hours");
    expect(nextDoor.status).toBe(201);
    expect(client.executed(tag)).toHaveLength(2);
  });

  it("forwards an order without the key fields each time: there is nothing to recognise it by", async () => {
    const tag = "po-no-key";
    const incomplete = { headers: account, json: { name: "D. Bakker", address: { postalCode: "1012 AB" } }, tag };
    await client.send("/v2/batches/b3/orders", incomplete);
    const again = await client.send("/v2/batches/b3/orders", incomplete);
    expect(again.headers.get("idempotent-replayed")).toBeNull();
    expect(client.executed(tag)).toHaveLength(2);
  });
});
