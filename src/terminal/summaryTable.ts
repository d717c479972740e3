import type { ClientSessionSummary } from '../actors/client';
import { peerText } from '../log/peerText';
import type { Spread } from '../measure/sessionStats';
import { fitTable, terminalWidth } from './layout';

const msText = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(3));
const spreadText = (spread: Spread | null) =>
  spread
    ? `${msText(spread.min)} / ${msText(spread.median)} / ${msText(spread.p99)} / ${msText(spread.max)}`
    : '-';

const HEAD = [
  'client',
  'address',
  'outcome',
  'ticks\nsent',
  'replies',
  'lost',
  'missed\nslots',
  'RTT ms\nmin / median / p99 / max',
  'timer error ms\nmean / p99',
  'duration\ns',
];

/**
 * One row per client session: what was sent, answered, lost and missed, and how fast. Fits
 * `width` columns (default: the terminal's), one small table per client when narrow.
 */
export function clientSummaryTable(
  summaries: readonly ClientSessionSummary[],
  width = terminalWidth(),
): string {
  const rows = summaries.map((s) => {
    // A code can come from the server (`refused`): it is shown escaped.
    const outcome = s.error
      ? `${s.outcome}: ${peerText(s.error.code, 64)}`
      : s.endedEarly
        ? `${s.outcome} (early)`
        : s.outcome;
    return [
      String(s.clientId ?? '?'),
      peerText(s.localAddress ?? '-'),
      outcome,
      `${s.ticksSent} / ${s.plannedTicks}`,
      String(s.replies),
      String(s.lost),
      String(s.missedSlots),
      spreadText(s.rttMs),
      s.timerErrorMs ? `${msText(s.timerErrorMs.mean)} / ${msText(s.timerErrorMs.p99)}` : '-',
      (s.durationMs / 1000).toFixed(3),
    ];
  });
  return fitTable(HEAD, rows, width);
}
