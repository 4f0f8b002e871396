import { describe, expect, it } from "vitest";
import { FieldPairs } from "./form-pairs.ts";
import { phpFieldName, phpFields } from "./php-fields.ts";

describe("phpFieldName: a name as PHP registers it", () => {
  it.each([
    [" invoiceNo", "invoiceNo"],
    ["  a b.c", "a_b_c"],
    ["rows[0].id", "rows[0].id"],
    ["a.b[c.d]", "a_b[c.d]"],
    ["a[b", "a_b"],
    ["a[b.c", "a_b.c"],
    ["   ", ""],
  ])("%j is %j", (sent, registered) => {
    expect(phpFieldName(sent)).toBe(registered);
  });
});

describe("phpFields", () => {
  it("keeps a repeated name's last value, every value of a name ending in [], and no nameless field", () => {
    expect(phpFields(FieldPairs.fromUrlencoded("a=1&%20a=2&t[]=x&t[]=y&=z&%20=w")).list).toEqual([
      ["a", "2"],
      ["t[]", "x"],
      ["t[]", "y"],
    ]);
  });

  it("marks no field bare: PHP reads ?flag as ?flag=", () => {
    expect(FieldPairs.fromUrlencoded("flag&a=1&&b").bare).toEqual([0, 2]);
    expect(phpFields(FieldPairs.fromUrlencoded("flag&a=1")).bare).toEqual([]);
  });
});
