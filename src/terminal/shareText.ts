import { type PeerSnapshot, selectPeerProgress } from '../actors/peer';
import { type StateLabels, stateLabel } from '../actors/shared/stateLabel';
import { peerText } from '../log/peerText';
import type { PeerSummary } from '../p2p/peerSummary';
import { fitParts, fitTable, terminalWidth, wrapText } from './layout';

/**
 * People's names for the peer's states, by dotted path (an entry names every state inside it).
 * To move next to the peer machine (src/actors/peer/selectors.ts, like SESSION_STATE_LABELS);
 * test/actors/stateLabels.test.ts checks that every state of the machine is named.
 */
export const PEER_STATE_LABELS: StateLabels = {
  preparing: 'opening files',
  'swarm.discovering': 'looking for peers',
  'swarm.exchanging.active': 'exchanging',
  'swarm.exchanging.waiting': 'waiting for peers',
  'swarm.complete': 'complete',
  'swarm.lingering': 'serving others',
  leaving: 'leaving',
  finishing: 'closing files',
  done: 'done',
  failed: 'failed',
};

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(2)} MiB`;

/** One progress line of a sharing peer, fitted to `width` (what matters most is kept). */
export function shareProgressLine(
  snapshot: PeerSnapshot,
  width = terminalWidth(process.stderr),
): string {
  const p = selectPeerProgress(snapshot);
  return fitParts(
    [
      stateLabel(p.state, PEER_STATE_LABELS),
      `${p.held}/${p.files} files`,
      `${p.connected} peers connected`,
      `${mib(p.bytesIn)} in`,
      `${mib(p.bytesOut)} out`,
    ],
    width,
  );
}

/**
 * The verification table: every file, its size, SHA-256 and where it came from; then what is
 * missing and why. Fits `width` columns (default: the terminal's).
 */
export function shareSummaryText(summary: PeerSummary, width = terminalWidth()): string {
  const rows = summary.files.map((f) => [
    peerText(f.name),
    String(f.size),
    `${f.sha256.slice(0, 16)}…`,
    f.origin === 'own' ? 'own' : 'peers',
    f.state === 'complete' ? 'verified' : f.state,
  ]);
  const lines = [fitTable(['file', 'bytes', 'SHA-256', 'from', 'state'], rows, width)];
  lines.push(
    `peer ${peerText(summary.peerId)}: ${summary.outcome}; ${summary.chunks.received} chunks in (${mib(summary.bytes.chunkReceived)}), ` +
      `${summary.chunks.sent} out (${mib(summary.bytes.chunkSent)}), ${summary.chunks.bad} bad, ` +
      `${summary.chunks.duplicates} duplicate; ${summary.peers.length} peers known` +
      (summary.completeAfterMs !== null
        ? `; complete after ${(summary.completeAfterMs / 1000).toFixed(2)} s`
        : ''),
  );
  // Names, reasons and messages can carry a peer's text: each is shown escaped and bounded.
  if (summary.error) {
    lines.push(`error ${peerText(summary.error.code, 64)}: ${peerText(summary.error.message)}`);
  }
  for (const m of summary.missing) lines.push(`missing ${peerText(m.name)}: ${peerText(m.reason)}`);
  return lines.map((line, i) => (i === 0 ? line : wrapText(line, width, '  '))).join('\n');
}
