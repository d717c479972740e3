import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { numericSort, quantileSorted } from 'simple-statistics';
import { type Description, histogram } from '../analysis/describe';
import type { ClientAnalysis, ClientSeries, RunData } from '../analysis/types';
import { PAGE_SCRIPT } from './pageScript';
import type { TransferTimeline } from './transfers';

export interface ReportInput extends RunData {
  /** The P2P exchange, when the run had one: adds the transfer timeline. */
  transfers?: TransferTimeline | null;
  title?: string;
  /** Defaults to now; fixed in tests for a reproducible page. */
  generatedAt?: Date;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
const ms = (value: number | null | undefined, digits = 3) =>
  value === null || value === undefined ? '–' : value.toFixed(digits);
const pct = (ratio: number | null) => (ratio === null ? '–' : `${(ratio * 100).toFixed(2)}%`);
const round = (value: number, digits = 6) => Number(value.toFixed(digits));

let uplotAssets: { js: string; css: string } | null = null;
/** uPlot's browser build and stylesheet, read once from node_modules and inlined: no CDN. */
function uplot(): { js: string; css: string } {
  uplotAssets ??= {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
  return uplotAssets;
}

/** Inline `<script>` text must not contain its own end tag. */
const scriptSafe = (code: string) => code.replace(/<\/script/gi, '<\\/script');

/**
 * One self-contained HTML file: summary table, RTT over time, clock offset over time, RTT
 * histogram and, when given, the P2P transfer timeline. The chart library (uPlot) and the
 * data are inlined, so the file opens offline, from disk, anywhere.
 */
export function renderReport(input: ReportInput): string {
  const { analysis } = input;
  const title = input.title ?? 'timeswarm report';
  const page = pageData(input);
  const assets = uplot();
  const json = JSON.stringify(page).replace(/</g, '\\u003c');
  const generated = (input.generatedAt ?? new Date()).toISOString();
  const start = page.t0 ? new Date(page.t0 * 1000).toISOString() : null;
  const transfers = input.transfers
    ? `<section>
  <h2>Peer-to-peer transfers</h2>
  <p>Each bar is one file arriving at one peer, from its first request to its verified rename; hover for its sources, size and chunks.</p>
  <div id="chart-transfers" class="chart"></div>
  <div id="chart-transfer-bytes" class="chart"></div>
</section>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${assets.css}</style>
<style>
  body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 24px auto; max-width: 1400px; padding: 0 16px; color: #222; }
  h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; }
  .meta { color: #666; margin-top: 0; }
  table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: right; white-space: nowrap; }
  th { background: #f5f5f5; } td:first-child, th:first-child { text-align: left; }
  .chart { margin: 12px 0 24px; } .note { color: #666; font-size: 13px; } .legend { font-size: 13px; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">Generated ${generated}${start ? ` · first tick ${start} (UTC)` : ''} · ${analysis.clients.length} client(s) · from ${escapeHtml(analysis.inputs.join(', '))}</p>
<section>
  <h2>Per client</h2>
  ${summaryTable(analysis.clients)}
  ${directionTable(analysis.clients)}
  <p class="note">θ = ((t2 − t1) + (t3 − t4)) / 2 is the server's clock minus the client's (positive: server ahead); δ = (t4 − t1) − (t3 − t2) is the round trip minus the server's holding time. "Filtered" keeps, of every 8 consecutive exchanges, the one with the smallest δ (NTP's clock filter, as chrony does). One-way delays include ±θ; their IPDV does not.${serverNote(input)}</p>
</section>
<section>
  <h2>Round-trip time</h2>
  <div id="chart-rtt" class="chart"></div>
  <p class="note">y axis up to the 99.5th percentile × 1.2; drag to zoom, double-click to reset.</p>
  <div id="chart-histogram" class="chart"></div>
</section>
<section>
  <h2>Clock offset</h2>
  <div id="chart-offset" class="chart"></div>
  <p class="note">Dots: every exchange. Lines: the minimum-delay filter. y axis from the 0.5th to the 99.5th percentile.</p>
</section>
${transfers}
<script type="application/json" id="report-data">${json}</script>
<script>${scriptSafe(assets.js)}</script>
<script>${scriptSafe(PAGE_SCRIPT)}</script>
</body>
</html>
`;
}

/** Renders the report and writes it, creating the folder if needed. Returns the path. */
export async function writeReport(path: string, input: ReportInput): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, renderReport(input));
  return path;
}

function summaryTable(clients: readonly ClientAnalysis[]): string {
  const spread = (d: Description | null) =>
    d
      ? [d.min, d.median, d.mean, d.p99, d.max, d.stddev].map((v) => `<td>${ms(v)}</td>`).join('')
      : '<td>–</td>'.repeat(6);
  const rows = clients
    .map(
      (c) =>
        `<tr><td>client ${c.clientId}</td><td>${escapeHtml(c.address ?? '–')}</td><td>${c.ticks}</td><td>${c.replies}</td>` +
        `<td>${c.lost} (${pct(c.lossRatio)})</td><td>${c.duplicates}</td><td>${c.missedSlots}</td>${spread(c.rttMs)}` +
        `<td>${ms(c.offsetMs?.median)}</td><td>${ms(c.filteredOffsetMs?.median)}</td><td>${ms(c.delayMs?.median)}</td>` +
        `<td>${ms(c.rttIpdvMs?.median)}</td><td>${ms(c.rttJitterMs)}</td><td>${ms(c.timerErrorMs?.mean)}</td><td>${ms(c.timerErrorMs?.p99)}</td></tr>`,
    )
    .join('\n');
  return `<table id="summary">
<thead>
<tr><th rowspan="2">client</th><th rowspan="2">address</th><th rowspan="2">ticks</th><th rowspan="2">replies</th><th rowspan="2">lost</th><th rowspan="2">dup</th><th rowspan="2">missed slots</th><th colspan="6">RTT (ms)</th><th colspan="2">offset θ median (ms)</th><th rowspan="2">delay δ median (ms)</th><th colspan="2">RTT jitter (ms)</th><th colspan="2">timer error (ms)</th></tr>
<tr><th>min</th><th>median</th><th>mean</th><th>p99</th><th>max</th><th>sd</th><th>all</th><th>filtered</th><th>IPDV median</th><th>RFC 3550</th><th>mean</th><th>p99</th></tr>
</thead>
<tbody>
${rows}
</tbody>
</table>`;
}

function directionTable(clients: readonly ClientAnalysis[]): string {
  const count = (n: number | null) => (n === null ? '–' : String(n));
  const rows = clients.flatMap((c) =>
    (
      [
        ['up: client → server', c.up],
        ['down: server → client', c.down],
      ] as const
    ).map(
      ([name, d]) =>
        `<tr><td>client ${c.clientId}</td><td>${name}</td><td>${count(d.sent)}</td><td>${count(d.delivered)}</td>` +
        `<td>${d.lost === null ? '–' : `${d.lost} (${pct(d.lossRatio)})`}</td><td>${count(d.duplicates)}</td>` +
        `<td>${ms(d.oneWayMs?.median)}</td><td>${ms(d.ipdvMs?.median)}</td><td>${ms(d.ipdvMs?.p99)}</td><td>${ms(d.jitterMs)}</td></tr>`,
    ),
  );
  return `<table id="directions" style="margin-top:12px">
<thead><tr><th>client</th><th>direction</th><th>sent</th><th>delivered</th><th>lost</th><th>dup</th><th>one-way median (ms)</th><th>IPDV median (ms)</th><th>IPDV p99 (ms)</th><th>jitter RFC 3550 (ms)</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

function serverNote(input: ReportInput): string {
  const server = input.analysis.server;
  if (!server) return ' No server table was given, so loss is not split by direction.';
  return ` Server table: ${server.rows} rows${server.endedEarly ? `, ended early: ${escapeHtml(server.endedEarly)}` : ''}.`;
}

/** What the page script draws: times relative to the first tick, robust axis ranges, shared bins. */
function pageData(input: ReportInput) {
  const { series } = input;
  const firsts = series.map((s) => s.answered.t[0]).filter((t): t is number => t !== undefined);
  const t0 = firsts.length > 0 ? Math.min(...firsts) : 0;
  const rel = (t: number[]) => t.map((v) => round(v - t0));
  const allRtt = numericSort(series.flatMap((s) => s.answered.rttMs));
  const allOffset = numericSort(series.flatMap((s) => s.answered.offsetMs));
  const q = (sorted: number[], p: number, fallback: number) =>
    sorted.length > 0 ? quantileSorted(sorted, p) : fallback;
  const rttYMax = round(q(allRtt, 0.995, 1) * 1.2, 3) || 1;
  const lo = q(allOffset, 0.005, -1);
  const hi = q(allOffset, 0.995, 1);
  const pad = Math.max(0.05, (hi - lo) * 0.1);
  // Log-spaced bins shared by every client: the body and the long tail in one picture.
  const bins = 60;
  const low = Math.max(allRtt[0] ?? 0.001, 0.001);
  const high = Math.max(allRtt[allRtt.length - 1] ?? 1, low * 1.01);
  const hists = series.map((s) =>
    histogram(s.answered.rttMs, { bins, log: true, range: { low, high } }),
  );
  const edges = hists.find((h) => h !== null)?.edges ?? [low, high];
  return {
    t0,
    clients: series.map((s: ClientSeries) => ({ id: s.clientId, label: `client ${s.clientId}` })),
    rtt: series.map((s) => ({ t: rel(s.answered.t), v: s.answered.rttMs })),
    rttYMax,
    offset: series.map((s) => ({
      raw: { t: rel(s.answered.t), v: s.answered.offsetMs },
      filtered: { t: rel(s.filtered.t), v: s.filtered.offsetMs },
    })),
    offsetYRange: [round(lo - pad, 3), round(hi + pad, 3)],
    histogram: {
      edges: edges.map((e) => round(e)),
      binsPerDecade: round(bins / Math.log10(high / low), 1),
      counts: hists.map((h) => h?.counts ?? new Array<number>(bins).fill(0)),
      above: hists.map((h) => h?.above ?? 0),
    },
    transfers: input.transfers
      ? { peers: input.transfers.peers, spans: input.transfers.transfers }
      : null,
  };
}
