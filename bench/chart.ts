/**
 * The benchmark chart, drawn as plain SVG from the run's numbers: one panel
 * per origin latency and load, one row per workload, one bar per subject
 * (requests/s under load, or mean latency one request at a time), and a
 * dashed line at the origin alone.
 */

export interface ChartBar {
  subject: string;
  requestsPerSecond: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

export interface ChartPanel {
  title: string;
  metric: "throughput" | "latency";
  /** The dashed line: the origin alone, in the panel's metric. */
  reference: { label: string; value: number };
  rows: { label: string; bars: ChartBar[] }[];
}

const WIDTH = 960;
const LABEL_WIDTH = 170;
const BAR_AREA = 560;
const BAR_HEIGHT = 16;
const BAR_GAP = 3;
const ROW_GAP = 12;
const PANEL_HEADER = 44;
const COLOURS = ["#f38020", "#5b6b7f", "#2f9e6b", "#8d5bd6"];

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function thousands(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function panelHeight(panel: ChartPanel): number {
  const rowsHeight = panel.rows.reduce((h, row) => h + row.bars.length * (BAR_HEIGHT + BAR_GAP) + ROW_GAP, 0);
  return PANEL_HEADER + rowsHeight + 16;
}

function metricOf(bar: ChartBar, metric: ChartPanel["metric"]): number {
  return metric === "throughput" ? bar.requestsPerSecond : bar.meanMs;
}

function labelOf(bar: ChartBar, metric: ChartPanel["metric"]): string {
  return metric === "throughput"
    ? `${thousands(bar.requestsPerSecond)} req/s · p50 ${bar.p50Ms} ms · p99 ${bar.p99Ms} ms`
    : `mean ${bar.meanMs.toFixed(1)} ms · p99 ${bar.p99Ms} ms`;
}

function drawPanel(panel: ChartPanel, top: number, subjects: string[]): string {
  const max = Math.max(panel.reference.value, ...panel.rows.flatMap((r) => r.bars.map((b) => metricOf(b, panel.metric)))) * 1.05;
  const x = (value: number) => LABEL_WIDTH + (value / max) * BAR_AREA;
  const parts: string[] = [`<text x="16" y="${top + 22}" class="title">${escapeXml(panel.title)}</text>`];
  let y = top + PANEL_HEADER;
  const chartTop = y - 6;
  for (const row of panel.rows) {
    const rowHeight = row.bars.length * (BAR_HEIGHT + BAR_GAP);
    parts.push(`<text x="${LABEL_WIDTH - 10}" y="${y + rowHeight / 2 + 4}" class="row" text-anchor="end">${escapeXml(row.label)}</text>`);
    for (const bar of row.bars) {
      const colour = COLOURS[subjects.indexOf(bar.subject) % COLOURS.length];
      const end = x(metricOf(bar, panel.metric));
      parts.push(
        `<rect x="${LABEL_WIDTH}" y="${y}" width="${Math.max(1, end - LABEL_WIDTH).toFixed(1)}" height="${BAR_HEIGHT}" fill="${colour}" rx="2"/>`,
        `<text x="${(end + 6).toFixed(1)}" y="${y + BAR_HEIGHT - 4}" class="value">${labelOf(bar, panel.metric)}</text>`,
      );
      y += BAR_HEIGHT + BAR_GAP;
    }
    y += ROW_GAP;
  }
  const originX = x(panel.reference.value).toFixed(1);
  const referenceText = panel.metric === "throughput" ? `${thousands(panel.reference.value)} req/s` : `${panel.reference.value.toFixed(1)} ms`;
  parts.push(
    `<line x1="${originX}" y1="${chartTop}" x2="${originX}" y2="${y - ROW_GAP + 2}" class="origin"/>`,
    `<text x="${originX}" y="${chartTop - 4}" class="origin-label" text-anchor="middle">${escapeXml(panel.reference.label)} ${referenceText}</text>`,
  );
  return parts.join("\n");
}

/**
 * Renders the panels as one SVG document.
 *
 * @example
 * writeFileSync("docs/benchmarks.svg", renderChart("Idem vs peer", ["Idem", "peer"], panels));
 */
export function renderChart(heading: string, subjects: string[], panels: ChartPanel[]): string {
  let top = 56 + Math.floor((subjects.length - 1) / 2) * 18;
  const drawn: string[] = [];
  for (const panel of panels) {
    drawn.push(drawPanel(panel, top, subjects));
    top += panelHeight(panel);
  }
  const legend = subjects
    .map(
      (s, i) =>
        `<rect x="${16 + (i % 2) * 420}" y="${34 + Math.floor(i / 2) * 18}" width="12" height="12" fill="${COLOURS[i % COLOURS.length]}" rx="2"/><text x="${34 + (i % 2) * 420}" y="${44 + Math.floor(i / 2) * 18}" class="row">${escapeXml(s)}</text>`,
    )
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${top}" viewBox="0 0 ${WIDTH} ${top}" font-family="-apple-system, Segoe UI, Helvetica, Arial, sans-serif">
<style>
.heading { font-size: 17px; font-weight: 600; fill: #1f2328; }
.title { font-size: 14px; font-weight: 600; fill: #1f2328; }
.row { font-size: 12px; fill: #1f2328; }
.value { font-size: 11px; fill: #57606a; paint-order: stroke; stroke: #ffffff; stroke-width: 3px; }
.origin { stroke: #1f2328; stroke-width: 1.2; stroke-dasharray: 4 3; }
.origin-label { font-size: 11px; fill: #1f2328; paint-order: stroke; stroke: #ffffff; stroke-width: 3px; }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="16" y="22" class="heading">${escapeXml(heading)}</text>
${legend}
${drawn.join("\n")}
</svg>
`;
}
