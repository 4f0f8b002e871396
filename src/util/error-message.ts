/**
 * The message of anything thrown: an Error's message, or the thrown value as text.
 * JavaScript lets code throw any value, so a catch clause cannot assume an Error.
 *
 * @example
 * errorMessage(new TypeError("Network connection lost.")) // "Network connection lost."
 * errorMessage("boom") // "boom"
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
