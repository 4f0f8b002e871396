/**
 * The benchmark chart, drawn as plain SVG from the run's numbers: one panel
 * per workload and load, one bar per subject (requests/s under load, or
 * mean latency one request at a time), coloured by what the subject is.
 */

export interface ChartBar {
  label: string;
  colour: string;
  requestsPerSecond: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

export interface ChartPanel {
  title: string;
  metric: "throughput" | "latency";
  bars: ChartBar[];
}

const WIDTH = 960;
const LABEL_WIDTH = 300;
const BAR_AREA = 430;
const BAR_HEIGHT = 15;
const BAR_GAP = 3;
const PANEL_HEADER = 34;
const PANEL_GAP = 14;

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function thousands(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function metricOf(bar: ChartBar, metric: ChartPanel["metric"]): number {
  return metric === "throughput" ? bar.requestsPerSecond : bar.meanMs;
}

function valueLabel(bar: ChartBar, metric: ChartPanel["metric"]): string {
  return metric === "throughput"
    ? `${thousands(bar.requestsPerSecond)} req/s · p50 ${bar.p50Ms} ms · p99 ${bar.p99Ms} ms`
    : `mean ${bar.meanMs.toFixed(1)} ms · p99 ${bar.p99Ms} ms`;
}

function panelHeight(panel: ChartPanel): number {
  return PANEL_HEADER + panel.bars.length * (BAR_HEIGHT + BAR_GAP) + PANEL_GAP;
}

function drawPanel(panel: ChartPanel, top: number): string {
  const max = Math.max(...panel.bars.map((b) => metricOf(b, panel.metric))) * 1.02;
  const parts: string[] = [`<text x="16" y="${top + 20}" class="title">${escapeXml(panel.title)}</text>`];
  let y = top + PANEL_HEADER;
  for (const bar of panel.bars) {
    const width = Math.max(1, (metricOf(bar, panel.metric) / max) * BAR_AREA);
    parts.push(
      `<text x="${LABEL_WIDTH - 8}" y="${y + BAR_HEIGHT - 3}" class="row" text-anchor="end">${escapeXml(bar.label)}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${bar.colour}" rx="2"/>`,
      `<text x="${(LABEL_WIDTH + width + 6).toFixed(1)}" y="${y + BAR_HEIGHT - 3}" class="value">${valueLabel(bar, panel.metric)}</text>`,
    );
    y += BAR_HEIGHT + BAR_GAP;
  }
  return parts.join("\n");
}

/**
 * Renders the panels as one SVG document.
 *
 * @example
 * writeFileSync("docs/benchmarks.svg", renderChart("Idem on workerd", panels));
 */
export function renderChart(heading: string, panels: ChartPanel[]): string {
  let top = 34;
  const drawn: string[] = [];
  for (const panel of panels) {
    drawn.push(drawPanel(panel, top));
    top += panelHeight(panel);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${top}" viewBox="0 0 ${WIDTH} ${top}" font-family="-apple-system, Segoe UI, Helvetica, Arial, sans-serif">
<style>
.heading { font-size: 17px; font-weight: 600; fill: #1f2328; }
.title { font-size: 13px; font-weight: 600; fill: #1f2328; }
.row { font-size: 12px; fill: #1f2328; }
.value { font-size: 11px; fill: #57606a; paint-order: stroke; stroke: #ffffff; stroke-width: 3px; }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="16" y="22" class="heading">${escapeXml(heading)}</text>
${drawn.join("\n")}
</svg>
`;
}
