/**
 * Form fields (urlencoded or multipart text parts) and query parameters,
 * decoded without loss and indexed by name.
 *
 * The runtime's parsers decode each value as UTF-8 and put U+FFFD in place
 * of every byte that is not, so `invoiceNo=%E9` and `invoiceNo=%E8` (two
 * windows-1252 documents) would read as the same text and be merged by a
 * dedup rule. Here a value whose bytes are valid UTF-8 is that text; any
 * other value is written byte by byte as the lone surrogates U+DC00 + byte
 * (the scheme of Python's PEP 383 "surrogateescape"). No valid UTF-8 decodes
 * to a lone surrogate, so the two kinds never meet and the mapping from
 * bytes to values is one-to-one. JSON.stringify writes lone surrogates as
 * `\udcXX`, so canonical texts keep them apart too.
 */

// A BOM is kept as U+FEFF: a value with one is not the value without.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const BYTE_ESCAPE_BASE = 0xdc00;
/** A percent-escape of a byte outside ASCII: the only escapes the runtime could decode with loss. */
const HIGH_ESCAPES = /%[89A-Fa-f][0-9A-Fa-f]/g;
const HAS_HIGH_ESCAPE = /%[89A-Fa-f][0-9A-Fa-f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the range is "every non-ASCII code unit", written from U+0080.
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Bytes as a string of one code unit per byte (U+0000–U+00FF), in chunks so that no call takes too many arguments.
 *
 * @example
 * binaryString(new Uint8Array([0x61, 0xe9])) // "a\u00e9"
 */
export function binaryString(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

/**
 * The bytes a binary string (one code unit per byte) stands for.
 *
 * @example
 * bytesOfBinary("a\u00e9") // Uint8Array [0x61, 0xe9]
 */
export function bytesOfBinary(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * The value for some bytes: their UTF-8 text when they are valid UTF-8, else
 * each byte as U+DC00 + byte.
 *
 * @example
 * losslessText(new Uint8Array([0x63, 0x61, 0x66, 0xc3, 0xa9])) // "café"
 * losslessText(new Uint8Array([0x63, 0x61, 0x66, 0xe9])) // "\udc63\udc61\udc66\udce9": windows-1252 "café"
 */
export function losslessText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    let out = "";
    for (const byte of bytes) out += String.fromCharCode(BYTE_ESCAPE_BASE + byte);
    return out;
  }
}

/** The value for a binary string's bytes (see losslessText); ASCII needs no work. */
function fromBinary(text: string): string {
  return NON_ASCII.test(text) ? losslessText(bytesOfBinary(text)) : text;
}

/** One name or value as urlencoded text: the bytes it was sent as (see losslessText), percent-escaped. */
function urlencoded(text: string): string {
  const escapedBytes =
    text.length > 0 && [...text].every((char) => char.charCodeAt(0) >= BYTE_ESCAPE_BASE && char.charCodeAt(0) <= BYTE_ESCAPE_BASE + 0xff);
  if (!escapedBytes) return new URLSearchParams([["", text]]).toString().slice(1);
  return [...text].map((char) => `%${(char.charCodeAt(0) - BYTE_ESCAPE_BASE).toString(16).toUpperCase().padStart(2, "0")}`).join("");
}

/**
 * Writes fields as an urlencoded body, each value as the bytes it was sent
 * as: the inverse of FieldPairs.fromUrlencoded, so a value that was not
 * UTF-8 goes on byte for byte.
 *
 * @example
 * toUrlencoded([["no", "\udce9"], ["request", "saveSalesDocument"]]) // "no=%E9&request=saveSalesDocument"
 */
export function toUrlencoded(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([name, value]) => `${urlencoded(name)}=${urlencoded(value)}`).join("&");
}

/** The places of the fields sent without `=`, counted as URLSearchParams counts fields (empty pieces between `&` skipped). */
function bareFields(text: string): number[] {
  if (!text.includes("&") && text.includes("=")) return [];
  const bare: number[] = [];
  let index = 0;
  for (const piece of text.split("&")) {
    if (piece === "") continue;
    if (!piece.includes("=")) bare.push(index);
    index++;
  }
  return bare;
}

/**
 * Fields in the order sent, with an index by name, so that reading any one
 * name costs the same however many fields the request has.
 *
 * @example
 * const pairs = FieldPairs.fromUrlencoded("b=2&a=1&b=3");
 * pairs.getAll("b") // ["2", "3"]
 */
export class FieldPairs {
  readonly list: readonly (readonly [name: string, value: string])[];
  /**
   * The places in `list` of fields sent without `=` (`?flag`): their value
   * reads as "", but some origins (Rack, for one) tell `?flag` from `?flag=`,
   * so the fingerprint counts the difference.
   */
  readonly bare: readonly number[];
  readonly #byName = new Map<string, string[]>();

  constructor(list: readonly (readonly [string, string])[], bare: readonly number[] = []) {
    this.list = list;
    this.bare = bare;
    for (const [name, value] of list) {
      const values = this.#byName.get(name);
      if (values) values.push(value);
      else this.#byName.set(name, [value]);
    }
  }

  /**
   * Parses an urlencoded body or query string (bytes, or text as the URL
   * parser left it) with the runtime's URLSearchParams, without loss.
   *
   * @example
   * FieldPairs.fromUrlencoded("no=%E9").getAll("no") // ["\udce9"]
   * FieldPairs.fromUrlencoded("no=%C3%A9").getAll("no") // ["é"]
   */
  static fromUrlencoded(source: string | Uint8Array): FieldPairs {
    const text = typeof source === "string" ? source : binaryString(source);
    const bare = bareFields(text);
    if (!NON_ASCII.test(text) && !HAS_HIGH_ESCAPE.test(text)) return new FieldPairs([...new URLSearchParams(text)], bare);
    // Every byte outside ASCII, raw or escaped, is handed to URLSearchParams as the one code unit of that byte
    // (escaped as its UTF-8, which URLSearchParams decodes back to that code unit); each value's bytes are then decoded.
    const escaped = text.replace(HIGH_ESCAPES, (hex) => encodeURIComponent(String.fromCharCode(Number.parseInt(hex.slice(1), 16))));
    return new FieldPairs(
      [...new URLSearchParams(escaped)].map(([name, value]) => [fromBinary(name), fromBinary(value)]),
      bare,
    );
  }

  getAll(name: string): readonly string[] {
    return this.#byName.get(name) ?? [];
  }

  /** The distinct names, in the order they first appear. */
  names(): string[] {
    return [...this.#byName.keys()];
  }
}
