import type { ErrorInfo } from '../../errors';
import type { MemberStatus } from '../../p2p/membership';
import type { TransferToPeerEvent } from '../transfer';
import { addressKey, type PeerContext } from './context';

export type ClosedEvent = Extract<TransferToPeerEvent, { type: 'transfer.closed' }>;

/** What an ended transfer says about its remote, to write into the membership. */
export interface MemberVerdict {
  peerId: string;
  /** It was the remote's admitted connection: its chunks are no longer on offer. */
  wasActive: boolean;
  status: { value: MemberStatus; reason: ErrorInfo } | null;
  /** It said it was full: not dialed again before this time. */
  busyUntil: number | null;
}

/**
 * How a closed transfer changes what we think of its remote: a peer that left (`DONE`) or
 * stalled is dead; one that was trading and dropped is unknown (it may come back); a dial
 * that never connected is dead; a remote that said it was full rests for `busyCooldownMs`;
 * a remote that ended a connection it never traded on is dead, unless it only dropped a
 * duplicate. `null` when the transfer never learned whom it talked to.
 */
export function memberVerdict(context: PeerContext, event: ClosedEvent): MemberVerdict | null {
  const { config } = context;
  const peerId = event.peerId ?? context.transfers[event.transferId]?.peerId ?? null;
  if (!peerId) return null;
  const reason = { code: event.code, message: event.reason };
  const busy =
    event.code === 'ERR_BUSY' && event.byRemote ? config.clock.now() + config.busyCooldownMs : null;
  if (context.activeByPeer[peerId] === event.transferId) {
    const status: MemberStatus =
      event.code === 'DONE' || event.code === 'ERR_STALLED' ? 'dead' : 'unknown';
    const why = event.code === 'DONE' ? { code: 'DONE', message: 'left the swarm' } : reason;
    return { peerId, wasActive: true, status: { value: status, reason: why }, busyUntil: busy };
  }
  if (event.stage === 'connect')
    return { peerId, wasActive: false, status: { value: 'dead', reason }, busyUntil: null };
  if (busy !== null) return { peerId, wasActive: false, status: null, busyUntil: busy };
  if (event.byRemote && !context.activeByPeer[peerId] && event.code !== 'ERR_DUPLICATE')
    return { peerId, wasActive: false, status: { value: 'dead', reason }, busyUntil: null };
  return { peerId, wasActive: false, status: null, busyUntil: null };
}

/** The context once the transfer is gone (and its bootstrap address judged). */
export function afterClosed(context: PeerContext, event: ClosedEvent): Partial<PeerContext> {
  const { config } = context;
  const record = context.transfers[event.transferId];
  const { [event.transferId]: _gone, ...transfers } = context.transfers;
  const peerId = event.peerId ?? record?.peerId ?? null;
  let activeByPeer = context.activeByPeer;
  if (peerId && activeByPeer[peerId] === event.transferId) {
    const { [peerId]: _left, ...rest } = activeByPeer;
    activeByPeer = rest;
  }
  const bootstrap =
    record?.bootstrap == null
      ? context.bootstrap
      : context.bootstrap.map((b, i) => {
          if (i !== record.bootstrap || b.state !== 'dialing') return b;
          // Our own address: the handshake met our own ID.
          if (event.code === 'ERR_SELF')
            return { ...b, state: 'self' as const, reason: 'this peer' };
          return event.stage === 'connect'
            ? {
                ...b,
                state: 'failed' as const,
                reason: `${event.code}: ${event.reason}`,
                retryAt: config.clock.now() + config.bootstrapRetryMs,
              }
            : { ...b, state: 'reached' as const };
        });
  // A dial to a gossiped address that never reached trading counts against that address.
  const learnedDialFailed =
    record?.direction === 'outbound' &&
    record.bootstrap === null &&
    record.target !== null &&
    record.stage === 'connecting';
  const failedDials = learnedDialFailed
    ? {
        ...context.failedDials,
        [addressKey(record.target!)]: (context.failedDials[addressKey(record.target!)] ?? 0) + 1,
      }
    : context.failedDials;
  return { transfers, activeByPeer, bootstrap, failedDials };
}
