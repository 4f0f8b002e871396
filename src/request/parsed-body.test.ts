import { describe, expect, it } from "vitest";
import { sha256Hex } from "../crypto/digest.ts";
import { parseBody, parseBodyNow, UnparsedMultipartError } from "./parsed-body.ts";

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
    const body = await parseBody(contentType, bytes);
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
    const [e9, e8] = await Promise.all([parseBody(contentType, body(0xe9)), parseBody(contentType, body(0xe8))]);
    if (e9.kind !== "form" || e8.kind !== "form") throw new Error("not forms");
    expect(e9.pairs.getAll("notes")).toEqual(["\udc63\udc61\udc66\udce9"]);
    expect(e8.pairs.getAll("notes")).not.toEqual(e9.pairs.getAll("notes"));
    expect(e9.files[0]?.sha256).toBe(await sha256Hex(new Uint8Array(file)));
  });

  it("reports a multipart body without its boundary as unreadable", async () => {
    expect((await parseBody("multipart/form-data", new TextEncoder().encode("a=1"))).kind).toBe("unreadable");
  });

  it("reads every JSON media type as JSON, and refuses to read JSON that is not UTF-8", async () => {
    for (const type of ["application/json", "text/json", "application/vnd.api+json; charset=utf-8", "Application/JSON"]) {
      expect((await parseBody(type, new TextEncoder().encode('{"a":1}'))).kind).toBe("json");
    }
    expect(parseBodyNow("application/json", new Uint8Array([0x22, 0xe9, 0x22]))).toEqual({
      kind: "unreadable",
      reason: "the JSON body is not valid UTF-8",
    });
    expect(parseBodyNow("application/jsonl", new TextEncoder().encode("{}"))).toEqual({ kind: "other" });
  });

  it("cannot parse multipart without awaiting the runtime's parser", () => {
    expect(() => parseBodyNow("multipart/form-data; boundary=x", new Uint8Array([1]))).toThrow(UnparsedMultipartError);
  });
});
