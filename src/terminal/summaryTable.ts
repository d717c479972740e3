import Table from 'cli-table3';
import type { ClientSessionSummary } from '../actors/client';
import { peerText } from '../log/peerText';
import type { Spread } from '../measure/sessionStats';

const msText = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(3));
const spreadText = (spread: Spread | null) =>
  spread
    ? `${msText(spread.min)} / ${msText(spread.median)} / ${msText(spread.p99)} / ${msText(spread.max)}`
    : '-';

/** One row per client session: what was sent, answered, lost and missed, and how fast. */
export function clientSummaryTable(summaries: readonly ClientSessionSummary[]): string {
  const table = new Table({
    head: [
      'client',
      'address',
      'outcome',
      'ticks sent',
      'replies',
      'lost',
      'missed slots',
      'RTT ms min / median / p99 / max',
      'timer error ms mean / p99',
      'duration s',
    ],
    style: { head: [], border: [] },
  });
  for (const s of summaries) {
    // A code can come from the server (`refused`): it is shown escaped.
    const outcome = s.error
      ? `${s.outcome}: ${peerText(s.error.code, 64)}`
      : s.endedEarly
        ? `${s.outcome} (early)`
        : s.outcome;
    table.push([
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
    ]);
  }
  return table.toString();
}
