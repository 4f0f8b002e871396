import { describe, expect, it } from "vitest";
import { parseFieldRef } from "./field-ref.ts";
import { RequestFields } from "./request-fields.ts";

const fieldsOf = (json: string) =>
  new RequestFields(new URL("https://idem.test/orders"), new Headers({ "content-type": "application/json" }), new TextEncoder().encode(json));

describe("RequestFields", () => {
  // Every number is kept as its text (JsonNumberText), an object whose own "text" a pointer must not reach.
  it.each([
    ['{"quantity":2}', "2"],
    ['{"quantity":2.0}', "2.0"],
  ])("reads a number as sent, and nothing through it (%s)", (json, sent) => {
    const fields = fieldsOf(json);
    expect(fields.get(parseFieldRef("body:/quantity"))).toBe(sent);
    expect(fields.get(parseFieldRef("body:/quantity/text"))).toBeUndefined();
    expect(fields.names("body", ["quantity"])).toEqual([]);
  });
});
