import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RunData } from '../analysis/types';
import { makeDirectory } from '../storage';
import type { RunMetadata } from './metadata';
import { type PageDataOptions, pageData } from './pageData';
import { PAGE_SCRIPT } from './pageScript';
import { directionTable, escapeHtml, metadataList, summaryTable } from './tables';
import type { TransferTimeline } from './transfers';

export interface ReportInput extends RunData {
  /** The P2P exchange, when the run had one: adds the transfer timeline. */
  transfers?: TransferTimeline | null;
  title?: string;
  /** Defaults to now; fixed in tests for a reproducible page. */
  generatedAt?: Date;
  /** Host, versions, command, load: shown at the top (see `collectRunMetadata`). */
  meta?: RunMetadata | null;
  /** Limits of the pre-aggregation (tests use small ones). */
  aggregation?: PageDataOptions;
}

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

const STYLE = `
  body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 24px auto; max-width: 1400px; padding: 0 16px; color: #222; }
  h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; }
  .meta { color: #666; margin-top: 0; }
  #metadata { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 2px 24px; margin: 8px 0; font-size: 13px; }
  #metadata div { display: flex; gap: 8px; } #metadata dt { color: #666; min-width: 11em; } #metadata dd { margin: 0; overflow-wrap: anywhere; }
  table.fit { border-collapse: collapse; font-variant-numeric: tabular-nums; width: 100%; table-layout: auto; margin-top: 12px; }
  table.fit th, table.fit td { border: 1px solid #ddd; padding: 3px 6px; text-align: right; vertical-align: top; }
  table.fit th { background: #f5f5f5; font-weight: 600; font-size: 12px; } table.fit td { white-space: nowrap; }
  table.fit td.client, table.fit th:first-child { text-align: left; } table.fit small { color: #666; }
  .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: baseline; }
  .chart { margin: 12px 0 24px; } .note { color: #666; font-size: 13px; }
  .legend { font-size: 13px; display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: center; margin: 2px 0 0 8px; }
  .legend .key { color: #666; }
  .client-toggle { font: inherit; background: none; border: 0; padding: 0; cursor: pointer; color: inherit; }
  .client-toggle.off { opacity: 0.35; text-decoration: line-through; }
  .readout { font-size: 12px; color: #333; min-height: 1.4em; margin-left: 8px; font-variant-numeric: tabular-nums; }
  .caveat { background: #fff8e1; border-left: 3px solid #f2b01e; padding: 6px 10px; font-size: 13px; }
`;

/**
 * One self-contained HTML file that reads at 5 minutes and at 1 hour: run metadata, a
 * per-client table, RTT percentile bands and CDF, loss and missed slots, timer error, offset
 * θ with its ±δ/2 bound, one-way delay per direction and, when given, the P2P transfers.
 * Series are pre-aggregated into time windows here in Node (pageData.ts), so the page stays
 * small and draws in well under a second; raw exchanges ride along (up to a budget) for
 * zooming in. uPlot and the data are inlined: the file opens offline, from disk, anywhere.
 */
export function renderReport(input: ReportInput): string {
  const { analysis } = input;
  const title = input.title ?? 'timeswarm report';
  const { page, raw } = pageData(input.series, input.transfers, input.aggregation);
  const assets = uplot();
  const json = JSON.stringify(page).replace(/</g, '\\u003c');
  // base64 only: nothing in it can close the element.
  const rawElement = raw
    ? `<script type="application/json" id="report-raw">${JSON.stringify(raw)}</script>\n`
    : '';
  const generated = (input.generatedAt ?? new Date()).toISOString();
  const start = page.t0 ? new Date(page.t0 * 1000).toISOString() : null;
  const transfers = input.transfers
    ? `<section>
  <h2>Peer-to-peer transfers</h2>
  <p class="note">Each bar is one file arriving at one peer, from its first request to its verified rename; hover for its sources, size and chunks.</p>
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
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">Generated ${generated}${start ? ` · first tick ${start} (UTC)` : ''} · ${analysis.clients.length} client(s) · from ${escapeHtml(analysis.inputs.join(', '))}</p>
${metadataList(input.meta, analysis.server)}
<section>
  <h2>Per client</h2>
  ${summaryTable(analysis.clients)}
  ${directionTable(analysis.clients)}
  <p class="note">θ = ((t2 − t1) + (t3 − t4)) / 2 is the server's clock minus the client's (positive: server ahead); δ = (t4 − t1) − (t3 − t2) is the round trip minus the server's holding time. "Filtered" keeps, of every 8 consecutive exchanges, the one with the smallest δ (NTP's clock filter). Missed slots: 10 ms slots on the client's grid in which its timer sent nothing. Lost: ticks sent that got no reply.</p>
</section>
<section>
  <h2>Round-trip time</h2>
  <div id="chart-rtt" class="chart"></div>
  <div id="chart-cdf" class="chart"></div>
</section>
<section>
  <h2>Loss, missed slots and timer error</h2>
  <div id="chart-loss" class="chart"></div>
  <div id="chart-timer" class="chart"></div>
</section>
<section>
  <h2>Clock offset and one-way delay</h2>
  <div id="chart-offset" class="chart"></div>
  <p class="caveat" id="clock-caveat"><b>Clock caveat.</b> One-way delays are measured across two clocks: up = t2 − t1 reads the server's clock minus the client's, so it includes +θ; down = t4 − t3 includes −θ. Only their sum (δ) and their variation (IPDV) are free of the offset. On one host both sides share a clock and θ ≈ 0; across hosts, read a difference between up and down as offset or asymmetry, which these four timestamps cannot tell apart.</p>
  <div id="chart-oneway" class="chart"></div>
</section>
${transfers}
<script type="application/json" id="report-data">${json}</script>
<script>${scriptSafe(assets.js)}</script>
<script>${scriptSafe(PAGE_SCRIPT)}</script>
${rawElement}</body>
</html>
`;
}

/** Renders the report and writes it, creating the folder if needed. Returns the path. */
export async function writeReport(path: string, input: ReportInput): Promise<string> {
  await makeDirectory(dirname(path));
  await writeFile(path, renderReport(input));
  return path;
}
