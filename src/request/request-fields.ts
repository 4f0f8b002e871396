import type { Parsing } from "../http/media-type.ts";
import { canonicalJson, isJsonContainer, JsonNumberText } from "./canonical.ts";
import { FieldError } from "./field-error.ts";
import type { FieldRef, FieldSource } from "./field-ref.ts";
import { FieldPairs } from "./form-pairs.ts";
import { bodyHead, isMultipartBody, type ParsedBody, parseBody, parseBodyNow } from "./parsed-body.ts";
import { phpFields } from "./php-fields.ts";

/**
 * A FieldError for a body Idem does not read at all (an encoding, a media
 * type it does not know, JSON sent as a form): the gateway answers 415
 * `unsupported-media-type` rather than 400.
 *
 * @example
 * throw new UnsupportedBodyError("the body is sent without a Content-Type, so body:item cannot be read");
 */
export class UnsupportedBodyError extends FieldError {}

/** The parsed forms of one request, by parsing, shared by every view of it. */
interface Parsed {
  bodies: Map<Parsing, ParsedBody>;
  queries: Map<Parsing, FieldPairs>;
}

function scalarText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (value instanceof JsonNumberText) return value.text;
  if (typeof value === "boolean") return String(value);
  return canonicalJson(value);
}

/** The one value of a repeated name, or an error when the repeats disagree (`a=1&a=2`). */
function single(params: FieldPairs, name: string, where: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1 && values.some((x) => x !== values[0])) {
    throw new FieldError(`the ${where} field "${name}" is sent ${values.length} times with different values`);
  }
  return values[0];
}

/** The cookies of a `Cookie` header (`a=1; b=2`), as name and value pairs in the order sent. */
function cookiePairs(headers: Headers): [name: string, value: string][] {
  return (headers.get("cookie") ?? "").split(";").flatMap((part): [string, string][] => {
    const eq = part.indexOf("=");
    return eq > 0 ? [[part.slice(0, eq).trim(), part.slice(eq + 1).trim()]] : [];
  });
}

/** A cookie's value; refused when the cookie is sent twice with different values (which one the origin reads is its choice). */
function cookie(headers: Headers, name: string): string | undefined {
  const values = cookiePairs(headers).flatMap(([n, value]) => (n === name ? [value] : []));
  if (values.some((value) => value !== values[0])) throw new FieldError(`the cookie "${name}" is sent ${values.length} times with different values`);
  return values[0];
}

/** The value of a name that must be sent once (`a=1&a=1` is refused too): for comparing documents exactly. */
function once(params: FieldPairs, name: string, where: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw new FieldError(`the ${where} field "${name}" is sent ${values.length} times`);
  return values[0];
}

/**
 * Follows JSON pointer tokens (or one top-level name) from `root`; undefined
 * when the path leaves the document. Only own properties count, so that
 * `constructor` or `toString` never read something the client did not send.
 */
function walk(root: unknown, tokens: readonly string[]): unknown {
  let node = root;
  for (const token of tokens) {
    if (!isJsonContainer(node)) return undefined;
    // RFC 6901: an array index is "0" or digits without a leading zero; "01", " 1" and "1e0" name nothing.
    if (Array.isArray(node)) node = /^(0|[1-9]\d*)$/.test(token) ? node[Number(token)] : undefined;
    else node = Object.hasOwn(node, token) ? (node as Record<string, unknown>)[token] : undefined;
  }
  return node;
}

/** A form's text fields, for reading `ref`; a name sent as a file part is no field, and reading it is refused. */
function formFields(body: Extract<ParsedBody, { kind: "form" }>, ref: FieldRef): FieldPairs {
  if (body.files.some((file) => file.name === ref.name))
    throw new FieldError(`the form field "${ref.name}" is sent as a file, so ${ref.text} cannot be read`);
  return body.pairs;
}

function keysOf(node: unknown): string[] {
  return isJsonContainer(node) ? Object.keys(node) : [];
}

/**
 * The readable parts of one buffered request: headers, query, path parameters
 * and a form or JSON body, parsed once on first use, the way a route reads
 * them (its `parsing`: see src/http/media-type.ts).
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
  readonly parsing: Parsing;
  #parsed: Parsed = { bodies: new Map(), queries: new Map() };

  // Plain fields, not parameter properties: `check-config` runs this file on Node, which only strips types.
  constructor(url: URL, headers: Headers, bodyBytes: Uint8Array, pathParams: Readonly<Record<string, string>> = {}, parsing: Parsing = "strict") {
    this.url = url;
    this.headers = headers;
    this.bodyBytes = bodyBytes;
    this.pathParams = pathParams;
    this.parsing = parsing;
  }

  /**
   * The fields of a request whose body may be multipart: the runtime parses
   * multipart asynchronously, so it is parsed here, up front, for each way
   * of reading it that `parsings` names (the candidate routes'); any other
   * body is parsed on first use.
   *
   * @example
   * const fields = await RequestFields.read(url, request.headers, bodyBytes, ["strict"]);
   */
  static async read(url: URL, headers: Headers, bodyBytes: Uint8Array, parsings: readonly Parsing[] = ["strict"]): Promise<RequestFields> {
    const fields = new RequestFields(url, headers, bodyBytes);
    for (const parsing of new Set(parsings)) {
      const head = bodyHead(headers, parsing);
      if (isMultipartBody(head, bodyBytes)) fields.#parsed.bodies.set(parsing, await parseBody(head, bodyBytes));
    }
    return fields;
  }

  /**
   * The same request seen through a route: its path parameters and its
   * parsing. What is parsed is shared between views.
   *
   * @example
   * fields.forRoute({ id: "7" }, "php").get(parseFieldRef("path:id")) // "7"
   */
  forRoute(pathParams: Readonly<Record<string, string>>, parsing: Parsing): RequestFields {
    const view = new RequestFields(this.url, this.headers, this.bodyBytes, pathParams, parsing);
    view.#parsed = this.#parsed;
    return view;
  }

  /**
   * The parsed body; an unreadable or unsupported body is remembered, and only reported when a field is read from it.
   *
   * @throws TooDeepError, AmbiguousJsonError for JSON that no route may read (see parseBodyNow).
   */
  parsedBody(): ParsedBody {
    let body = this.#parsed.bodies.get(this.parsing);
    if (!body) {
      body = parseBodyNow(bodyHead(this.headers, this.parsing), this.bodyBytes);
      this.#parsed.bodies.set(this.parsing, body);
    }
    return body;
  }

  /** The query parameters, decoded without loss (and named as PHP names them, for `php` parsing). */
  get query(): FieldPairs {
    let query = this.#parsed.queries.get(this.parsing);
    if (!query) {
      query = FieldPairs.fromUrlencoded(this.url.search.slice(1));
      if (this.parsing === "php") query = phpFields(query);
      this.#parsed.queries.set(this.parsing, query);
    }
    return query;
  }

  /** The body, when its fields can be read; otherwise why they cannot. */
  #readableBody(wanted: string): Exclude<ParsedBody, { kind: "unreadable" | "unsupported" }> {
    const body = this.parsedBody();
    if (body.kind === "unreadable") throw new FieldError(`${body.reason}, so ${wanted} cannot be read`);
    if (body.kind === "unsupported") throw new UnsupportedBodyError(`${body.reason}, so ${wanted} cannot be read`);
    return body;
  }

  #fromBody(ref: FieldRef): string | undefined {
    const body = this.#readableBody(ref.text);
    if (body.kind === "form") return ref.pointer ? undefined : single(formFields(body, ref), ref.name, "form");
    if (body.kind !== "json") return undefined;
    return scalarText(walk(body.value, ref.pointer ?? [ref.name]));
  }

  #exactFromBody(ref: FieldRef): string | undefined {
    const body = this.#readableBody(ref.text);
    if (body.kind === "form") {
      if (ref.pointer) return undefined;
      const value = once(formFields(body, ref), ref.name, "form");
      return value === undefined ? undefined : JSON.stringify(value);
    }
    if (body.kind !== "json") return undefined;
    const node = walk(body.value, ref.pointer ?? [ref.name]);
    return node === undefined || node === null ? undefined : canonicalJson(node);
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
      case "cookie":
        return cookie(this.headers, ref.name);
      case "query":
        return single(this.query, ref.name, "query");
      case "path":
        return this.pathParams[ref.name];
      case "body":
        return this.#fromBody(ref);
      case "param":
        return this.#fromBody(ref) ?? (ref.pointer ? undefined : single(this.query, ref.name, "query"));
    }
  }

  /**
   * The same value as `get`, written as JSON text that keeps what `get`
   * blurs: its type (`"1"` is not `1`) and the exact digits of a JSON number.
   * A name sent more than once is refused even when the copies agree. Used to
   * compare documents, where a loose reading could merge two different ones.
   *
   * @throws FieldError when the name is repeated or the body cannot be parsed.
   * @example
   * fields.exact(parseFieldRef("body:/sum")) // "12.50" for {"sum":12.50}; '"12.50"' for {"sum":"12.50"} or sum=12.50
   */
  exact(ref: FieldRef): string | undefined {
    const quoted = (value: string | undefined) => (value === undefined ? undefined : JSON.stringify(value));
    switch (ref.source) {
      case "header":
        return quoted(this.headers.get(ref.name) ?? undefined);
      case "cookie":
        return quoted(cookie(this.headers, ref.name));
      case "query":
        return quoted(once(this.query, ref.name, "query"));
      case "path":
        return quoted(this.pathParams[ref.name]);
      case "body":
        return this.#exactFromBody(ref);
      case "param":
        return this.#exactFromBody(ref) ?? (ref.pointer ? undefined : quoted(once(this.query, ref.name, "query")));
    }
  }

  /**
   * The names present in a source; with `pointer`, the keys of the JSON
   * object or array at that pointer in the body (array indexes as "0", "1",
   * …), which only `body:` and `param:` pointers read. `param` without a
   * pointer lists the body's names and the query's.
   *
   * @example
   * fields.names("param") // ["request", "productID1", "amount1", …]
   * fields.names("body", ["rows"]) // ["0", "1", "2"]
   */
  names(source: FieldSource, pointer?: readonly string[]): string[] {
    const bodyNames = (): string[] => {
      const body = this.#readableBody("its field names");
      if (body.kind === "form") return pointer ? [] : body.pairs.names();
      return body.kind === "json" ? keysOf(walk(body.value, pointer ?? [])) : [];
    };
    const queryNames = () => (pointer ? [] : this.query.names());
    switch (source) {
      case "header":
        return pointer ? [] : [...this.headers.keys()];
      case "cookie":
        return pointer ? [] : [...new Set(cookiePairs(this.headers).map(([name]) => name))];
      case "query":
        return queryNames();
      case "path":
        return pointer ? [] : Object.keys(this.pathParams);
      case "body":
        return bodyNames();
      case "param":
        return [...new Set([...bodyNames(), ...queryNames()])];
    }
  }
}
