import type { ClientAnalysis, ServerAnalysis } from '../analysis/types';
import { formatCount, formatMs, formatRatio } from './format';
import type { RunMetadata } from './metadata';
import { clientColor } from './pageData';

/** HTML-escapes text that came from files or the command line. */
export const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const swatch = (clientId: number) =>
  `<span class="swatch" style="background:${clientColor(clientId)}"></span>`;

const clientCell = (c: ClientAnalysis) =>
  `<td class="client" data-client="${c.clientId}">${swatch(c.clientId)}client ${c.clientId}` +
  `${c.address ? `<br><small>${escapeHtml(c.address)}</small>` : ''}</td>`;

const pair = (a: string, b: string) => `${a}<br><small>${b}</small>`;

/**
 * One row per client, 12 columns of people-sized values (`213 µs`, `1.2 ms`), headers that
 * wrap: fits a 1000 px page without hiding a column. Full detail is in `analyze --json`.
 */
export function summaryTable(clients: readonly ClientAnalysis[]): string {
  const rows = clients.map((c) => {
    const missedRatio = c.plannedSlots ? c.missedSlots / c.plannedSlots : null;
    return (
      `<tr>${clientCell(c)}` +
      `<td>${pair(formatCount(c.ticks), `${formatCount(c.replies)} answered`)}</td>` +
      `<td>${pair(formatCount(c.lost), formatRatio(c.lossRatio))}</td>` +
      `<td>${pair(formatCount(c.missedSlots), missedRatio === null ? '' : formatRatio(missedRatio))}</td>` +
      `<td>${formatMs(c.rttMs?.min)}</td><td>${formatMs(c.rttMs?.median)}</td>` +
      `<td>${formatMs(c.rttMs?.p99)}</td><td>${formatMs(c.rttMs?.max)}</td>` +
      `<td>${formatMs(c.rttJitterMs)}</td>` +
      `<td>${pair(formatMs(c.filteredOffsetMs?.median), `best ${formatMs(c.bestOffsetMs)}`)}</td>` +
      `<td>${pair(formatMs(c.up.oneWayMs?.median), `↓ ${formatMs(c.down.oneWayMs?.median)}`)}</td>` +
      `<td>${pair(formatMs(c.timerErrorMs?.mean), `p99 ${formatMs(c.timerErrorMs?.p99)}`)}</td></tr>`
    );
  });
  return `<table id="summary" class="fit">
<thead><tr><th>client</th><th>ticks sent</th><th>lost</th><th>missed slots</th><th>RTT min</th><th>RTT median</th><th>RTT p99</th><th>RTT max</th><th>RTT jitter (RFC 3550)</th><th>offset θ filtered median</th><th>one-way ↑ median</th><th>timer error mean</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

/** Loss and delay split by direction (needs the server's table for the split). */
export function directionTable(clients: readonly ClientAnalysis[]): string {
  const count = (n: number | null) => (n === null ? '–' : formatCount(n));
  const rows = clients.flatMap((c) =>
    (
      [
        ['↑ client → server', c.up],
        ['↓ server → client', c.down],
      ] as const
    ).map(
      ([name, d]) =>
        `<tr>${clientCell(c)}<td>${name}</td><td>${count(d.sent)}</td><td>${count(d.delivered)}</td>` +
        `<td>${d.lost === null ? '–' : pair(formatCount(d.lost), formatRatio(d.lossRatio))}</td><td>${count(d.duplicates)}</td>` +
        `<td>${formatMs(d.oneWayMs?.median)}</td><td>${formatMs(d.ipdvMs?.median)}</td><td>${formatMs(d.ipdvMs?.p99)}</td><td>${formatMs(d.jitterMs)}</td></tr>`,
    ),
  );
  return `<table id="directions" class="fit">
<thead><tr><th>client</th><th>direction</th><th>sent</th><th>delivered</th><th>lost</th><th>dup</th><th>apparent one-way median</th><th>IPDV median</th><th>IPDV p99</th><th>jitter (RFC 3550)</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

const loads = (l: readonly number[] | undefined) =>
  l ? l.map((v) => v.toFixed(2)).join(' / ') : 'not recorded';

/** Host, versions, command and load: what a reader needs before comparing two reports. */
export function metadataList(
  meta: RunMetadata | null | undefined,
  server: ServerAnalysis | null,
): string {
  const e = escapeHtml;
  // Every value is HTML here: text from files is escaped as it goes in.
  const items: [string, string][] = meta
    ? [
        ['host', `${e(meta.host)} (${e(meta.platform)})`],
        ['Node.js', e(meta.nodeVersion)],
        ['timeswarm', e(meta.packageVersion)],
        ['command', `<code>${e(meta.command)}</code>`],
        ['started / ended', `${e(meta.startedAt ?? '–')} / ${e(meta.endedAt ?? '–')}`],
        ['load average 1 / 5 / 15 min, at start', loads(meta.loadAtStart)],
        ['load average at end', loads(meta.loadAtEnd)],
      ]
    : [['run', 'no run metadata was recorded (no run.json in the run folder)']];
  if (server) {
    const early = server.endedEarly ? `, ended early: ${e(server.endedEarly)}` : '';
    items.push(['server table', `${formatCount(server.rows)} rows${early}`]);
  }
  return `<dl id="metadata">${items.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl>`;
}
