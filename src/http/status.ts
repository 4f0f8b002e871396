/** A status (`429`) or an inclusive range (`"400-599"`), as the config writes it. */
export type StatusSelector = number | string;

/** An inclusive range of HTTP statuses; a single status is a range of one. */
export interface StatusRange {
  from: number;
  to: number;
}

/**
 * Turns status selectors as written in the config into ranges.
 *
 * @example
 * statusRanges([408, "500-599"]) // [{ from: 408, to: 408 }, { from: 500, to: 599 }]
 */
export function statusRanges(selectors: readonly StatusSelector[]): StatusRange[] {
  return selectors.map((s) => {
    if (typeof s === "number") return { from: s, to: s };
    const [from, to] = s.split("-").map(Number) as [number, number];
    return { from, to };
  });
}

/**
 * Whether a status falls in any of the ranges.
 *
 * @example
 * inRanges(503, [{ from: 500, to: 599 }]) // true
 */
export function inRanges(status: number, ranges: readonly StatusRange[]): boolean {
  return ranges.some((r) => status >= r.from && status <= r.to);
}
