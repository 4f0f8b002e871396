import type { Env } from "../env.ts";
import { exchange } from "../origin/exchange.ts";
import type { ExchangeCall, GuardedResult } from "../protocol/messages.ts";
import { documentObject } from "./stubs.ts";

/**
 * Runs an origin exchange: through the document's object when the call
 * edits or deletes a document (so it waits its turn), directly otherwise.
 *
 * @example
 * const result = await runExchange(env, { origin, originTimeoutMs: 30_000, bufferLimit });
 */
export async function runExchange(env: Env, call: ExchangeCall): Promise<GuardedResult> {
  const document = call.document;
  if (!document) return exchange(env, call.origin, call.originTimeoutMs, call.bufferLimit);
  return documentObject(env, document.objectName, document.placement).run({ ...call, document });
}
