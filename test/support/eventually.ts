export interface EventuallyOptions {
  /** When to give up (default 10 s). */
  limitMs?: number;
  /** The pause between attempts (default 20 ms); longer where an attempt sends a request. */
  intervalMs?: number;
  /** What is awaited, for the error when it never comes. */
  waitingFor?: string;
}

/**
 * Calls `attempt` until it returns a value other than undefined, and returns
 * that value; fails after `limitMs`. For waiting on an outcome (the origin
 * receiving a request, a lock running out, an origin finishing), never for
 * asserting how long it took. Runs in workerd and in Node alike.
 *
 * @example
 * const retry = await eventually(async () => {
 *   const response = await send(request());
 *   return response.status === 409 ? undefined : response;
 * }, { intervalMs: 100 });
 * await eventually(() => origin.received.length === 1 || undefined);
 */
export async function eventually<T>(
  attempt: () => T | undefined | Promise<T | undefined>,
  { limitMs = 10_000, intervalMs = 20, waitingFor = "an outcome" }: EventuallyOptions = {},
): Promise<T> {
  const giveUpAt = Date.now() + limitMs;
  for (;;) {
    const value = await attempt();
    if (value !== undefined) return value;
    if (Date.now() > giveUpAt) throw new Error(`gave up waiting for ${waitingFor} after ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
