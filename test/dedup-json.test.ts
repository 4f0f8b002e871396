import { describe, expect, it } from "vitest";
import { gatewayFor, newTag, originLog } from "./support/gateway.ts";

/** A JSON API: the document's lines are an array, so the line items use `{i}` in a JSON pointer. */
const send = gatewayFor({
  routes: [
    {
      name: "json-sales",
      path: "/echo/sales",
      dedup: [
        {
          name: "sale",
          prerequisites: ["body:invoiceNo"],
          compare: ["body:invoiceNo", "body:/customer/id", "body:total"],
          items: { fields: ["body:/rows/{i}/productID", "body:/rows/{i}/amount"] },
        },
      ],
    },
  ],
});

/** Each test is its own caller (the scope is the Authorization header), so no test meets another's records. */
function post(tag: string, body: string): Request {
  return new Request("https://idem.test/echo/sales", {
    method: "POST",
    headers: { "content-type": "application/json", "demo-tag": tag, authorization: `Bearer ${tag}` },
    body,
  });
}

const SALE = `{"invoiceNo":"A-1","customer":{"id":42},"total":12.5,"rows":[{"productID":5,"amount":1},{"productID":7,"amount":2}]}`;

/** [case, first body, second body]: the second is caught as a copy of the first. */
const DUPLICATES: [string, string, string][] = [
  ["the same document resent", SALE, SALE],
  [
    "properties and rows in another order, pretty-printed",
    SALE,
    `{
      "rows": [ { "amount": 2, "productID": 7 }, { "amount": 1, "productID": 5 } ],
      "total": 12.5, "customer": { "id": 42 }, "invoiceNo": "A-1"
    }`,
  ],
];

/** [case, first body, second body]: both reach the origin. */
const NOT_DUPLICATES: [string, string, string][] = [
  ["a total written 12.50 instead of 12.5 (numbers compare as sent)", SALE, SALE.replace('"total":12.5', '"total":12.50')],
  ['an amount sent as the string "1" instead of the number 1', SALE, SALE.replace('"amount":1}', '"amount":"1"}')],
  [
    "product IDs past 2^53 that differ only in the last digit",
    SALE.replace('"productID":5', '"productID":12345678901234567890'),
    SALE.replace('"productID":5', '"productID":12345678901234567891'),
  ],
  ["another customer", SALE, SALE.replace('"id":42', '"id":43')],
  ["no customer vs. a customer", SALE.replace('"customer":{"id":42},', ""), SALE],
  ["one more row", SALE, SALE.replace("]}", ',{"productID":9,"amount":1}]}')],
  ["a row without amount vs. a row with amount 0", SALE.replace(',"amount":2', ""), SALE.replace('"amount":2', '"amount":0')],
  ["an empty invoiceNo: no duplicate check", SALE.replace('"A-1"', '""'), SALE.replace('"A-1"', '""')],
];

describe("a JSON API: caught as duplicates", () => {
  it.each(DUPLICATES)("%s", async (_case, first, second) => {
    const tag = newTag();
    const original = await send(post(tag, first));
    const copy = await send(post(tag, second));
    expect(copy.headers.get("idempotent-replayed")).toBe("true");
    expect(await copy.text()).toBe(await original.text());
    expect(await originLog(tag)).toHaveLength(1);
  });
});

describe("a JSON API: a body the rules cannot read", () => {
  it("is refused (400), not forwarded unchecked: the origin may read it as the document the rule would catch", async () => {
    const tag = newTag();
    const broken = await send(post(tag, `${SALE.slice(0, -1)},`));
    expect(broken.status).toBe(400);
    expect(await originLog(tag)).toHaveLength(0);
  });
});

describe("a JSON API: not duplicates, each reaches the origin", () => {
  it.each(NOT_DUPLICATES)("%s", async (_case, first, second) => {
    const tag = newTag();
    const a = await send(post(tag, first));
    const b = await send(post(tag, second));
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.headers.get("idempotent-replayed")).toBeNull();
    expect(await originLog(tag)).toHaveLength(2);
  });
});
