/**
 * A field reference names one value in a request. Routes use them for
 * conditions, keys, scopes, document IDs and dedup rules.
 *
 * | written as          | reads                                                     |
 * |---------------------|-----------------------------------------------------------|
 * | `header:Name`       | a request header (case-insensitive)                       |
 * | `cookie:name`       | a cookie of the `Cookie` header (a browser's session)     |
 * | `query:name`        | a query-string parameter                                  |
 * | `body:name`         | a form field, or a top-level JSON property                |
 * | `body:/a/0/b`       | a JSON pointer (RFC 6901) into a JSON body                |
 * | `path:name`         | a parameter of the route's path pattern (`/orders/:name`) |
 * | `param:name`        | the body field if present, else the query parameter       |
 *
 * @example
 * parseFieldRef("body:/customer/id") // { source: "body", name: "/customer/id", pointer: ["customer", "id"], text: "body:/customer/id" }
 */
export type FieldSource = "header" | "cookie" | "query" | "body" | "path" | "param";

export interface FieldRef {
  source: FieldSource;
  name: string;
  /** Decoded JSON pointer tokens when `name` starts with "/". */
  pointer?: string[];
  /** The reference as written, for messages. */
  text: string;
}

/** Parses a field reference that already passed the config schema's syntax check. */
export function parseFieldRef(text: string): FieldRef {
  const colon = text.indexOf(":");
  const source = text.slice(0, colon) as FieldSource;
  const name = source === "header" ? text.slice(colon + 1).toLowerCase() : text.slice(colon + 1);
  if ((source === "body" || source === "param") && name.startsWith("/")) {
    const pointer = name
      .slice(1)
      .split("/")
      .map((token) => token.replaceAll("~1", "/").replaceAll("~0", "~"));
    return { source, name, pointer, text };
  }
  return { source, name, text };
}

/** Whether reading this reference needs the request body. */
export function readsBody(ref: FieldRef): boolean {
  return ref.source === "body" || ref.source === "param";
}
