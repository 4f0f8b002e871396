import { describe, expect, it } from "vitest";
import { FieldPairs, losslessText, toUrlencoded } from "./form-pairs.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

describe("FieldPairs.fromUrlencoded", () => {
  it("reads what URLSearchParams reads when every value is UTF-8", () => {
    const text = "request=saveSalesDocument&notes=caf%C3%A9+au+lait&tag=a&tag=b&empty=";
    expect(FieldPairs.fromUrlencoded(text).list).toEqual([...new URLSearchParams(text)]);
    expect(FieldPairs.fromUrlencoded(new TextEncoder().encode("notes=café")).getAll("notes")).toEqual(["café"]);
  });

  it("keeps two windows-1252 values apart, which URLSearchParams reads as the same U+FFFD", () => {
    expect(new URLSearchParams("no=%E9").get("no")).toBe(new URLSearchParams("no=%E8").get("no"));
    const [e9] = FieldPairs.fromUrlencoded("no=%E9").getAll("no");
    const [e8] = FieldPairs.fromUrlencoded("no=%E8").getAll("no");
    expect(e9).not.toBe(e8);
    expect(e9).toBe("\udce9");
  });

  it("reads a raw byte the same as its percent-escape, and never as any UTF-8 text", () => {
    const raw = FieldPairs.fromUrlencoded(bytes(0x6e, 0x6f, 0x3d, 0xe9)).getAll("no");
    expect(raw).toEqual(FieldPairs.fromUrlencoded("no=%E9").getAll("no"));
    expect(raw).not.toEqual(FieldPairs.fromUrlencoded("no=%EF%BF%BD").getAll("no"));
    expect(raw).not.toEqual(FieldPairs.fromUrlencoded("no=%C3%A9").getAll("no"));
  });

  it("keeps the ASCII fields of a body that is not UTF-8 readable as they are", () => {
    const pairs = FieldPairs.fromUrlencoded("request=saveSalesDocument&notes=caf%E9&invoiceNo=17");
    expect(pairs.getAll("request")).toEqual(["saveSalesDocument"]);
    expect(pairs.getAll("invoiceNo")).toEqual(["17"]);
  });

  it("indexes repeated names in order and lists each name once", () => {
    const pairs = FieldPairs.fromUrlencoded("b=2&a=1&b=3");
    expect(pairs.getAll("b")).toEqual(["2", "3"]);
    expect(pairs.getAll("missing")).toEqual([]);
    expect(pairs.names()).toEqual(["b", "a"]);
  });
});

describe("losslessText", () => {
  it("is the UTF-8 text of valid bytes, byte escapes otherwise, and keeps a BOM", () => {
    expect(losslessText(bytes(0x63, 0xc3, 0xa9))).toBe("cé");
    expect(losslessText(bytes(0x63, 0xe9))).toBe("\udc63\udce9");
    expect(losslessText(bytes(0xef, 0xbb, 0xbf, 0x61))).toBe("\ufeffa");
  });
});

describe("toUrlencoded", () => {
  it("writes every value as the bytes it was sent as, so parsing it again gives the same fields", () => {
    const sent = "no=%E9&notes=caf%C3%A9+au+lait&empty=&odd=a%26b%3Dc";
    const pairs = FieldPairs.fromUrlencoded(sent).list;
    expect(toUrlencoded(pairs)).toBe("no=%E9&notes=caf%C3%A9+au+lait&empty=&odd=a%26b%3Dc");
    expect(FieldPairs.fromUrlencoded(toUrlencoded(pairs)).list).toEqual(pairs);
  });
});
