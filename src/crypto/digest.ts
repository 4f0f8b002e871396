const encoder = new TextEncoder();

/** `Uint8Array.prototype.toHex` (ES2026), where the runtime has it: workerd does; Node 24, which runs `check-config`, does not. */
type WithToHex = Uint8Array & { toHex?: () => string };

function toHex(buffer: ArrayBuffer): string {
  const bytes: WithToHex = new Uint8Array(buffer);
  if (bytes.toHex) return bytes.toHex();
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * SHA-256 of the given bytes or text, as lower-case hex.
 *
 * @example
 * await sha256Hex("abc") // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 */
export async function sha256Hex(data: string | ArrayBuffer | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return toHex(await crypto.subtle.digest("SHA-256", bytes));
}

/**
 * One part as hashParts writes it: its length, then the part. A part with a
 * lone surrogate (a value that was not UTF-8, see src/request/form-pairs.ts)
 * would be turned into U+FFFD by UTF-8 encoding, so it is written as JSON
 * (which escapes lone surrogates), marked with "!" instead of ":".
 */
function framed(part: string): string {
  if (part.isWellFormed()) return `${part.length}:${part}`;
  const escaped = JSON.stringify(part);
  return `${escaped.length}!${escaped}`;
}

/**
 * Hashes several strings so that no two different lists collide by
 * concatenation (`["ab","c"]` and `["a","bc"]` differ): each part is prefixed
 * with its length. Every distinct string hashes apart, ill-formed UTF-16 included.
 *
 * @example
 * await hashParts(["key", "orders", scopeHash, "abc"])
 */
export function hashParts(parts: readonly string[]): Promise<string> {
  return sha256Hex(parts.map(framed).join("|"));
}
