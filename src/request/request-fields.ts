import { canonicalJson } from "./canonical.ts";
import type { FieldRef } from "./field-ref.ts";

/** A field that cannot be read unambiguously; the gateway answers 400 `invalid-body`. */
export class FieldError extends Error {}

export type BodyKind = "json" | "form" | "other" | "none";

type ParsedBody =
  | { kind: "json"; value: unknown }
  | { kind: "form"; params: URLSearchParams }
  | { kind: "invalid-json"; reason: string }
  | { kind: "other" }
  | { kind: "none" };

const decoder = new TextDecoder();

/** `application/json; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | null): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

export function bodyKindOf(contentType: string | null, body: Uint8Array): BodyKind {
  if (body.byteLength === 0) return "none";
  const type = mediaType(contentType);
  if (type === "application/json" || type.endsWith("+json")) return "json";
  if (type === "application/x-www-form-urlencoded") return "form";
  return "other";
}

function scalarText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return canonicalJson(value);
}

/** The one value of a repeated name, or an error when the repeats disagree (`a=1&a=2`). */
function single(params: URLSearchParams, name: string, where: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1 && values.some((x) => x !== values[0])) {
    throw new FieldError(`the ${where} field "${name}" is sent ${values.length} times with different values`);
  }
  return values[0];
}

/**
 * The readable parts of one buffered request: headers, query, path parameters
 * and a form or JSON body, parsed once on first use.
 *
 * @example
 * const fields = new RequestFields(url, request.headers, bodyBytes, { id: "42" });
 * fields.get(parseFieldRef("param:request")) // "saveSalesDocument"
 */
export class RequestFields {
  readonly url: URL;
  readonly headers: Headers;
  readonly bodyBytes: Uint8Array;
  readonly pathParams: Readonly<Record<string, string>>;
  #body: ParsedBody | undefined;

  // Plain fields, not parameter properties: `check-config` runs this file on Node, which only strips types.
  constructor(url: URL, headers: Headers, bodyBytes: Uint8Array, pathParams: Readonly<Record<string, string>> = {}) {
    this.url = url;
    this.headers = headers;
    this.bodyBytes = bodyBytes;
    this.pathParams = pathParams;
  }

  /** The same request seen through another route's path parameters; the parsed body is shared. */
  withPathParams(pathParams: Readonly<Record<string, string>>): RequestFields {
    const view = new RequestFields(this.url, this.headers, this.bodyBytes, pathParams);
    view.#body = this.parsedBody();
    return view;
  }

  get bodyKind(): BodyKind {
    return bodyKindOf(this.headers.get("content-type"), this.bodyBytes);
  }

  /** The parsed body; invalid JSON is remembered, and only reported when a field is read from it. */
  parsedBody(): ParsedBody {
    this.#body ??= this.#parse();
    return this.#body;
  }

  #parse(): ParsedBody {
    const kind = this.bodyKind;
    if (kind === "form") return { kind: "form", params: new URLSearchParams(decoder.decode(this.bodyBytes)) };
    if (kind !== "json") return { kind };
    try {
      return { kind: "json", value: JSON.parse(decoder.decode(this.bodyBytes)) };
    } catch (error) {
      return { kind: "invalid-json", reason: (error as Error).message };
    }
  }

  #fromBody(ref: FieldRef): string | undefined {
    const body = this.parsedBody();
    if (body.kind === "invalid-json") throw new FieldError(`the JSON body cannot be parsed (${body.reason}), so ${ref.text} cannot be read`);
    if (body.kind === "form") return ref.pointer ? undefined : single(body.params, ref.name, "form");
    if (body.kind !== "json") return undefined;
    let node: unknown = body.value;
    for (const token of ref.pointer ?? [ref.name]) {
      if (node === null || typeof node !== "object") return undefined;
      node = Array.isArray(node) ? node[Number(token)] : (node as Record<string, unknown>)[token];
    }
    return scalarText(node);
  }

  /**
   * The value a field reference names, or undefined when the request does not carry it.
   *
   * @throws FieldError when the value is ambiguous or the body cannot be parsed.
   */
  get(ref: FieldRef): string | undefined {
    switch (ref.source) {
      case "header":
        return this.headers.get(ref.name) ?? undefined;
      case "query":
        return single(this.url.searchParams, ref.name, "query");
      case "path":
        return this.pathParams[ref.name];
      case "body":
        return this.#fromBody(ref);
      case "param":
        return this.#fromBody(ref) ?? (ref.pointer ? undefined : single(this.url.searchParams, ref.name, "query"));
    }
  }
}
