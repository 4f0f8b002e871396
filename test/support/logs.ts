import { vi } from "vitest";
import { originLog } from "./gateway.ts";

export type LogLine = Record<string, unknown>;

/** Captures the JSON lines Idem logs (`console.log`) from now until `restore()`. */
export function captureLogs() {
  const spy = vi.spyOn(console, "log").mockImplementation(() => {});
  const all = (): string[] => spy.mock.calls.map((call) => String(call[0]));
  return {
    /** The raw lines, as Workers Logs would receive them. */
    raw: all,
    /** The parsed lines of one event, e.g. "idem.decision". */
    lines(event: string): LogLine[] {
      return all()
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as LogLine)
        .filter((line) => line.event === event);
    },
    clear: () => spy.mockClear(),
    restore: () => spy.mockRestore(),
  };
}

/** Waits until the demo origin has received `count` requests with this tag (at most 5 s). */
export async function originReceived(tag: string, count: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await originLog(tag)).length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the origin did not receive ${count} request(s) tagged ${tag} within 5 s`);
}
