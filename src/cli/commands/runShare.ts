import Table from 'cli-table3';
import {
  getLogger,
  type InspectFlags,
  jsonText,
  onShutdownSignal,
  type PeerInput,
  type PeerSummary,
  peerText,
  type StartedPeer,
  selectPeerProgress,
  startCliInspection,
  startPeer,
  tcpTransport,
} from '../../index';
import { SHARE_EXIT, type ShareOptions } from './share';

/** Runs one peer until it is done; prints progress and the verification table; returns the exit code. */
export async function runShare(
  input: Omit<PeerInput, 'transport'>,
  display: { json?: boolean; quiet?: boolean } & InspectFlags = {},
): Promise<number> {
  const logger = getLogger('share');
  const inspection = await startCliInspection(
    display,
    (text) => process.stderr.write(text),
    'timeswarm share',
  );
  let peer: StartedPeer;
  try {
    peer = await startPeer(
      { transport: tcpTransport, logger, ...input },
      { inspect: inspection.inspect },
    );
  } catch (error) {
    await inspection.stop();
    const { code, message } = error as { code?: string; message: string };
    process.stderr.write(
      `timeswarm share: ${peerText(message, 1000)}${code ? ` (${peerText(code, 64)})` : ''}\n`,
    );
    return SHARE_EXIT.error;
  }
  process.stderr.write(
    `peer ${peerText(peer.peerId)} listening on ${peer.address.host}:${peer.address.port}, receiving into ${input.dir}\n`,
  );
  const stopSignals = onShutdownSignal((signal) =>
    peer.actor.send({ type: 'peer.stop', reason: `stopped by ${signal}` }),
  );
  const timer = display.quiet || display.json ? null : setInterval(() => progress(peer), 2000);
  const summary = await peer.done.finally(() => {
    if (timer) clearInterval(timer);
    stopSignals();
    return inspection.stop();
  });
  if (display.json) process.stdout.write(`${jsonText(summary, 2)}\n`);
  else process.stderr.write(`${shareSummaryText(summary)}\n`);
  if (summary.outcome === 'done') return SHARE_EXIT.ok;
  const missing = summary.missing.length > 0 || summary.error?.code === 'ERR_MISSING_FILES';
  return missing || summary.error?.code === 'ERR_NO_PEERS' ? SHARE_EXIT.missing : SHARE_EXIT.error;
}

function progress(peer: StartedPeer): void {
  const p = selectPeerProgress(peer.actor.getSnapshot());
  process.stderr.write(
    `[${p.state}] ${p.held}/${p.files} files, ${p.connected} peers connected, ` +
      `${mib(p.bytesIn)} in, ${mib(p.bytesOut)} out\n`,
  );
}

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(2)} MiB`;

/** The verification table: every file, its size, SHA-256 and where it came from; then what is missing and why. */
export function shareSummaryText(summary: PeerSummary): string {
  const table = new Table({
    head: ['file', 'bytes', 'SHA-256', 'from', 'state'],
    style: { head: [], border: [] },
  });
  for (const f of summary.files) {
    table.push([
      peerText(f.name),
      String(f.size),
      `${f.sha256.slice(0, 16)}…`,
      f.origin === 'own' ? 'own' : 'peers',
      f.state === 'complete' ? 'verified' : f.state,
    ]);
  }
  const lines = [table.toString()];
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
  return lines.join('\n');
}

/** Turns parsed options into the peer's input. */
export function shareInput(
  options: Omit<ShareOptions, 'dir' | 'file'> & { dir: string; file?: string[] },
): Omit<PeerInput, 'transport'> {
  return {
    files: options.file ?? [],
    dir: options.dir,
    listen: options.listen,
    bootstrap: options.peers ?? [],
    maxConnections: options.maxConnections,
    uploadLimit: options.uploadLimit,
    lingerMs: options.linger,
    giveUpAfterMs: options.giveUp,
    discoveryTimeoutMs: options.discoveryTimeout,
    chunkSize: options.chunkSize,
    ...(options.advertise ? { advertise: options.advertise } : {}),
    // On loopback, dial from the listening address too, so each peer shows one IP.
    ...(/^127\./.test(options.listen.host) ? { localAddress: options.listen.host } : {}),
    ...(options.expect !== undefined ? { expect: options.expect } : {}),
    ...(options.peerId !== undefined ? { peerId: options.peerId } : {}),
  };
}
