import { vi } from "vitest";

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
