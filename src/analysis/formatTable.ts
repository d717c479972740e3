import { fitTable, terminalWidth, wrapText } from '../terminal/layout';
import type { Description } from './describe';
import type { RunAnalysis } from './types';

const ms = (value: number | null | undefined, digits = 3) =>
  value === null || value === undefined ? '-' : value.toFixed(digits);
const count = (value: number | null) => (value === null ? '-' : String(value));
const percent = (ratio: number | null) => (ratio === null ? '-' : `${(ratio * 100).toFixed(2)}%`);
const spread = (d: Description | null) =>
  d
    ? `${ms(d.min)} / ${ms(d.median)} / ${ms(d.mean)} / ${ms(d.p99)} / ${ms(d.max)} / ${ms(d.stddev)}`
    : '-';

const CLIENT_HEAD = [
  'client',
  'address',
  'ticks',
  'replies',
  'lost',
  'dup',
  'missed\nslots',
  'RTT ms\nmin / median / mean / p99 / max / sd',
  'offset θ ms\nmedian (filtered)',
  'delay δ ms\nmedian',
  'RTT IPDV ms\nmedian / p99',
  'timer error ms\nmean / p99',
];

const DIRECTION_HEAD = [
  'client',
  'direction',
  'sent',
  'delivered',
  'lost',
  'dup',
  'one-way ms\nmedian*',
  'IPDV ms\nmedian / p99',
  'jitter ms\n(RFC 3550)',
];

/**
 * The analysis as text: one table per client with counts and timing, one with each direction,
 * then the server's view and any notes. For people; `--json` is for programs. Fits `width`
 * columns (default: the terminal's): narrow, each row becomes a small table of its own.
 */
export function analysisTable(analysis: RunAnalysis, width = terminalWidth()): string {
  const clients = analysis.clients.map((c) => [
    String(c.clientId),
    c.address ?? '-',
    String(c.ticks),
    String(c.replies),
    `${c.lost} (${percent(c.lossRatio)})`,
    String(c.duplicates),
    String(c.missedSlots),
    spread(c.rttMs),
    `${ms(c.offsetMs?.median)} (${ms(c.filteredOffsetMs?.median)})`,
    ms(c.delayMs?.median),
    c.rttIpdvMs ? `${ms(c.rttIpdvMs.median)} / ${ms(c.rttIpdvMs.p99)}` : '-',
    c.timerErrorMs ? `${ms(c.timerErrorMs.mean)} / ${ms(c.timerErrorMs.p99)}` : '-',
  ]);
  const directions = analysis.clients.flatMap((c) =>
    (
      [
        ['up (client → server)', c.up],
        ['down (server → client)', c.down],
      ] as const
    ).map(([name, d]) => [
      String(c.clientId),
      name,
      count(d.sent),
      count(d.delivered),
      d.lost === null ? '-' : `${d.lost} (${percent(d.lossRatio)})`,
      count(d.duplicates),
      ms(d.oneWayMs?.median),
      d.ipdvMs ? `${ms(d.ipdvMs.median)} / ${ms(d.ipdvMs.p99)}` : '-',
      ms(d.jitterMs),
    ]),
  );

  const lines = [
    fitTable(CLIENT_HEAD, clients, width),
    fitTable(DIRECTION_HEAD, directions, width),
    '* one-way delays include the clock offset (up: +θ, down: −θ); their spread and IPDV do not.',
    `θ > 0: the server's clock is ahead of the client's. ${analysis.conventions.filter}.`,
  ];
  if (analysis.server) {
    const s = analysis.server;
    const peers = s.peers
      .map((p) => `${p.address}: ${p.ticksReceived} ticks, ${p.repliesSent} replies`)
      .join('; ');
    lines.push(`Server table ${s.file}: ${s.rows} rows${peers ? ` (${peers})` : ''}`);
  }
  for (const c of analysis.clients) {
    const notes = [...c.notes];
    if (c.endedEarly) notes.push(`ended early: ${c.endedEarly}`);
    if (c.endedAbruptly) notes.push('a file has no end line: the session did not finish');
    if (notes.length > 0) lines.push(`client ${c.clientId}: ${notes.join('; ')}`);
  }
  return lines.map((line) => (line.includes('\n') ? line : wrapText(line, width, '  '))).join('\n');
}
