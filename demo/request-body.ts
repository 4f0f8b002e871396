/**
 * How the demo origins read a request body: with the same media-type rule as
 * Idem (src/http/media-type.ts) and with Node's own parsers (undici's
 * `Request.formData()` reads both urlencoded and multipart forms), so a demo
 * origin reads exactly the encodings a real API server would.
 */
import type { IncomingMessage } from "node:http";
import { buffer } from "node:stream/consumers";
import { isJson, isMultipartForm, isUrlencodedForm } from "../src/http/media-type.ts";
import { errorMessage } from "../src/util/error-message.ts";

export interface DemoFile {
  name: string;
  filename: string;
  size: number;
}

export type DemoBody =
  | { kind: "json"; value: unknown }
  | { kind: "form"; fields: [name: string, value: string][]; files: DemoFile[] }
  | { kind: "invalid"; reason: string }
  | { kind: "other" }
  | { kind: "none" };

export interface ReadBody {
  /** The body as UTF-8 text, for the request log. */
  text: string;
  body: DemoBody;
}

async function parse(contentType: string | undefined, bytes: Buffer): Promise<DemoBody> {
  if (bytes.byteLength === 0) return { kind: "none" };
  if (isJson(contentType)) {
    try {
      return { kind: "json", value: JSON.parse(bytes.toString("utf8")) };
    } catch (error) {
      return { kind: "invalid", reason: errorMessage(error) };
    }
  }
  if (!isUrlencodedForm(contentType) && !isMultipartForm(contentType)) return { kind: "other" };
  try {
    const form = await new Request("http://origin/", { method: "POST", headers: { "content-type": contentType ?? "" }, body: bytes }).formData();
    const fields: [string, string][] = [];
    const files: DemoFile[] = [];
    for (const [name, value] of form) {
      if (typeof value === "string") fields.push([name, value]);
      else files.push({ name, filename: value.name, size: value.size });
    }
    return { kind: "form", fields, files };
  } catch (error) {
    return { kind: "invalid", reason: errorMessage(error) };
  }
}

/**
 * Reads and parses a request's body.
 *
 * @example
 * const { text, body } = await readDemoBody(req);
 * if (body.kind === "form") Object.fromEntries(body.fields) // { request: "saveSalesDocument", … }
 */
export async function readDemoBody(req: IncomingMessage): Promise<ReadBody> {
  const bytes = await buffer(req);
  const contentType = req.headers["content-type"];
  return { text: bytes.toString("utf8"), body: await parse(contentType, bytes) };
}
