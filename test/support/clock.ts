import { afterEach, vi } from "vitest";

/**
 * Moves the clock of the test's isolate ahead by `ms`: the gateway's and
 * every Durable Object's `Date.now()` (in workerd's test runtime they share
 * the isolate), so a record can outlive its TTL or its expiry bucket without
 * the test waiting an hour. Time keeps flowing from there; timers are real.
 * The clock is put back after each test, or by `restoreClock()`.
 *
 * @example
 * advanceClockPast(droppedAt(record.expiresAt));
 * await runDurableObjectAlarm(stub); // the record's bucket is dropped
 */
export function advanceClockPast(at: number): void {
  const now = Date.now();
  vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
  vi.setSystemTime(Math.max(now, at + 1));
}

/** Puts the isolate's clock back to the real time. */
export function restoreClock(): void {
  vi.useRealTimers();
}

afterEach(restoreClock);
