import { join } from 'node:path';
import {
  DEFAULT_PEER_KEY_FILE,
  formatPeerId,
  getLogger,
  type InspectFlags,
  jsonText,
  onShutdownSignal,
  type PeerInput,
  peerText,
  type StartedPeer,
  shareProgressLine,
  shareSummaryText,
  startCliInspection,
  startPeer,
  tcpTransport,
} from '../../index';
import { SHARE_EXIT, type ShareOptions } from './share';

/**
 * Runs one peer until it is done; prints progress (stderr) and the verification table (stdout);
 * returns the exit code.
 */
export async function runShare(
  input: Omit<PeerInput, 'transport'> & { keyPath?: string },
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
    `peer ${peerText(peer.peerId)} listening on ${peer.address.host}:${peer.address.port}, receiving into ${input.dir}\n` +
      `fingerprint ${formatPeerId(peer.peerId)}${peer.keyPath ? ` (key ${peerText(peer.keyPath)}${peer.keyCreated ? ', created' : ''})` : ''}\n`,
  );
  const stopSignals = onShutdownSignal((signal) =>
    peer.actor.send({ type: 'peer.stop', reason: `stopped by ${signal}` }),
  );
  const timer =
    display.quiet || display.json
      ? null
      : setInterval(
          () => process.stderr.write(`${shareProgressLine(peer.actor.getSnapshot())}\n`),
          2000,
        );
  const summary = await peer.done.finally(() => {
    if (timer) clearInterval(timer);
    stopSignals();
    return inspection.stop();
  });
  if (display.json) process.stdout.write(`${jsonText(summary, 2)}\n`);
  else process.stdout.write(`${shareSummaryText(summary)}\n`);
  if (summary.outcome === 'done') return SHARE_EXIT.ok;
  if (summary.missing.some((m) => m.reason.startsWith('ERR_NAME_CONFLICT')))
    return SHARE_EXIT.conflict;
  const missing = summary.missing.length > 0 || summary.error?.code === 'ERR_MISSING_FILES';
  return missing || summary.error?.code === 'ERR_NO_PEERS' ? SHARE_EXIT.missing : SHARE_EXIT.error;
}

/** Turns parsed options into the peer's input. */
export function shareInput(
  options: Omit<ShareOptions, 'dir' | 'file'> & { dir: string; file?: string[] },
): Omit<PeerInput, 'transport'> & { keyPath: string } {
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
    keyPath: options.key ?? join(options.dir, DEFAULT_PEER_KEY_FILE),
    ...(options.secret !== undefined ? { secret: options.secret } : {}),
    ...(options.trust !== undefined ? { trust: options.trust } : {}),
  };
}
