import { describe, expect, it } from "vitest";
import { sha256Hex } from "../crypto/digest.ts";
import type { Parsing } from "../http/media-type.ts";
import { AmbiguousJsonError } from "./canonical.ts";
import { type BodyHead, parseBody, parseBodyNow, UnparsedMultipartError } from "./parsed-body.ts";

const strict = (contentType: string | null, contentEncoding: string | null = null): BodyHead => ({ contentType, contentEncoding, parsing: "strict" });
const as = (parsing: Parsing, contentType: string | null): BodyHead => ({ contentType, contentEncoding: null, parsing });
const bytes = (text: string) => new TextEncoder().encode(text);

/** A multipart body as cURL's `-F` sends it, with the runtime's own encoder. */
async function multipart(form: FormData): Promise<{ contentType: string; bytes: Uint8Array }> {
  const request = new Request("http://x/", { method: "POST", body: form });
  return { contentType: request.headers.get("content-type") ?? "", bytes: new Uint8Array(await request.arrayBuffer()) };
}

describe("parseBody", () => {
  it("reads a multipart body's text parts as form fields, and its file parts by digest", async () => {
    const form = new FormData();
    form.append("request", "saveSalesDocument");
    form.append("notes", "café");
    form.append("receipt", new File(["%PDF-1.7 \u0000\u00ff"], "r.pdf", { type: "application/pdf" }));
    const { contentType, bytes } = await multipart(form);
    const body = await parseBody(strict(contentType), bytes);
    if (body.kind !== "form") throw new Error(`not a form: ${body.kind}`);
    expect(body.encoding).toBe("multipart");
    expect(body.pairs.list).toEqual([
      ["request", "saveSalesDocument"],
      ["notes", "café"],
    ]);
    expect(body.files).toEqual([
      { name: "receipt", filename: "r.pdf", type: "application/pdf", sha256: await sha256Hex(new TextEncoder().encode("%PDF-1.7 \u0000\u00ff")) },
    ]);
  });

  it("keeps two windows-1252 multipart values apart, and the bytes of a binary file exact", async () => {
    const boundary = "b0undary";
    const part = (name: string, value: number[]) => [
      ...new TextEncoder().encode(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`),
      ...value,
      0x0d,
      0x0a,
    ];
    const file = [0x89, 0x50, 0x4e, 0x47, 0xe9, 0x00, 0xff];
    const body = (byte: number) =>
      new Uint8Array([
        ...part("notes", [0x63, 0x61, 0x66, byte]),
        ...new TextEncoder().encode(
          `--${boundary}\r\nContent-Disposition: form-data; name="logo"; filename="l.png"\r\nContent-Type: image/png\r\n\r\n`,
        ),
        ...file,
        ...new TextEncoder().encode(`\r\n--${boundary}--\r\n`),
      ]);
    const contentType = `multipart/form-data; boundary=${boundary}`;
    const [e9, e8] = await Promise.all([parseBody(strict(contentType), body(0xe9)), parseBody(strict(contentType), body(0xe8))]);
    if (e9.kind !== "form" || e8.kind !== "form") throw new Error("not forms");
    expect(e9.pairs.getAll("notes")).toEqual(["\udc63\udc61\udc66\udce9"]);
    expect(e8.pairs.getAll("notes")).not.toEqual(e9.pairs.getAll("notes"));
    expect(e9.files[0]?.sha256).toBe(await sha256Hex(new Uint8Array(file)));
  });

  it("reports a multipart body without its boundary as unreadable", async () => {
    expect((await parseBody(strict("multipart/form-data"), new TextEncoder().encode("a=1"))).kind).toBe("unreadable");
  });

  it("reads every JSON media type as JSON, and refuses to read JSON that is not UTF-8", async () => {
    for (const type of ["application/json", "text/json", "application/vnd.api+json; charset=utf-8", "Application/JSON"]) {
      expect((await parseBody(strict(type), new TextEncoder().encode('{"a":1}'))).kind).toBe("json");
    }
    expect(parseBodyNow(strict("application/json"), new Uint8Array([0x22, 0xe9, 0x22]))).toEqual({
      kind: "unreadable",
      reason: "the JSON body is not valid UTF-8",
    });
    expect(parseBodyNow(strict("application/jsonl"), new TextEncoder().encode("{}")).kind).toBe("unsupported");
  });

  it("cannot parse multipart without awaiting the runtime's parser", () => {
    expect(() => parseBodyNow(strict("multipart/form-data; boundary=x"), new Uint8Array([1]))).toThrow(UnparsedMultipartError);
  });

  it("reads no body it does not know how to read: none without a Content-Type, an unknown media type, an encoding, JSON sent as a form", () => {
    expect(parseBodyNow(strict(null), bytes('{"a":1}'))).toEqual({ kind: "unsupported", reason: "the body is sent without a Content-Type" });
    expect(parseBodyNow(strict("text/plain"), bytes("a=1")).kind).toBe("unsupported");
    expect(parseBodyNow(strict("application/x-www-form-urlencoded, text/plain"), bytes("a=1")).kind).toBe("unsupported");
    expect(parseBodyNow(strict("application/json", "gzip"), bytes("{}")).kind).toBe("unsupported");
    expect(parseBodyNow(strict("application/json", "identity"), bytes("{}")).kind).toBe("json");
    expect(parseBodyNow(strict("application/x-www-form-urlencoded"), bytes(' \n{"a":1}')).kind).toBe("unsupported");
    expect(parseBodyNow(strict("application/x-www-form-urlencoded"), bytes("a={}")).kind).toBe("form");
  });

  it("refuses JSON that origins read differently: a member named twice in one object, a byte order mark", () => {
    expect(() => parseBodyNow(strict("application/json"), bytes('{"a":1,"a":2}'))).toThrow(AmbiguousJsonError);
    expect(() => parseBodyNow(strict("application/json"), bytes('{"a":1,"\\u0061":2}'))).toThrow(AmbiguousJsonError);
    expect(() => parseBodyNow(strict("application/json"), bytes('[{"b":{"a":1,"c":[1,{"a":2,"a":3}]}}]'))).toThrow(/"a" twice/);
    expect(() => parseBodyNow(strict("application/json"), bytes('\uFEFF{"a":1}'))).toThrow(/byte order mark/);
    expect(parseBodyNow(strict("application/json"), bytes('[{"a":1},{"a":2,"b":{"a":3}},"a","a"]')).kind).toBe("json");
    expect(parseBodyNow(strict("application/json"), bytes('{"a":{"x":1},"b":{"x":2},"s":"\\"a\\""}')).kind).toBe("json");
  });

  it("reads as PHP does for php parsing: the media type cut at ';', ',' or space, field names renamed, the last value of a name", async () => {
    const form = parseBodyNow(as("php", "application/x-www-form-urlencoded, text/plain"), bytes(" invoice.no=1&a=1&a=2&t[]=x&t[]=y&=z"));
    if (form.kind !== "form") throw new Error(`not a form: ${form.kind}`);
    expect(form.pairs.list).toEqual([
      ["invoice_no", "1"],
      ["a", "2"],
      ["t[]", "x"],
      ["t[]", "y"],
    ]);
    expect(parseBodyNow(as("php", "application/json charset=utf-8"), bytes("{}")).kind).toBe("json");
    const data = new FormData();
    data.append(" request", "savePayment");
    const request = new Request("http://x/", { method: "POST", body: data });
    const contentType = (request.headers.get("content-type") ?? "").replace("multipart/form-data;", "multipart/form-data, text/plain;");
    const multipart = await parseBody(as("php", contentType), new Uint8Array(await request.arrayBuffer()));
    if (multipart.kind !== "form") throw new Error(`not a form: ${multipart.kind}`);
    expect(multipart.pairs.list).toEqual([["request", "savePayment"]]);
  });
});
