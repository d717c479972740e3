import type { TransferToPeerEvent } from '../transfer';
import type { PeerContext, TransferRecord } from './context';
import { memberOf } from './view';

export type HelloEvent = Extract<TransferToPeerEvent, { type: 'transfer.hello' }>;

/**
 * Admission of a remote that proved its ID in the handshake (ourselves never get this far:
 * the handshake refuses our own ID with `ERR_SELF`), one question per guard of the peer
 * machine, asked in this order: is it from a transfer we still know, from a banned peer,
 * from a peer already connected (and which connection stays), and is there a slot for it.
 * Every rule is keyed on the proven ID. Pure functions of the context and the event.
 */
export const admission = {
  /** The transfer ended (or was never ours) before its hello arrived. */
  isUnknownTransfer: (context: PeerContext, event: HelloEvent) =>
    !context.transfers[event.transferId],

  isBanned: (context: PeerContext, event: HelloEvent) =>
    memberOf(context.view, event.peerId)?.status === 'banned',

  /**
   * Both dialed each other: the connection dialed by the smaller peer ID stays, on both
   * sides. True when this new one is the one to drop.
   */
  losesDuplicate: (context: PeerContext, event: HelloEvent) => {
    const existing = duplicateOf(context, event);
    if (!existing) return false;
    const record = context.transfers[event.transferId]!;
    return !(dialerOf(context, event, record) < dialerOf(context, event, existing.record));
  },

  /** This new connection replaces the remote's existing one. */
  replacesDuplicate: (context: PeerContext, event: HelloEvent) =>
    duplicateOf(context, event) !== null,

  /** An inbound connection with every slot trading already. */
  isFull: (context: PeerContext, event: HelloEvent) => {
    const record = context.transfers[event.transferId]!;
    const trading = Object.values(context.transfers).filter((r) => r.stage === 'trading').length;
    return record.direction === 'inbound' && trading >= context.config.maxConnections;
  },
};

/** The remote's other admitted transfer, if it has one. */
export function duplicateOf(
  context: PeerContext,
  event: HelloEvent,
): { id: string; record: TransferRecord } | null {
  const id = context.activeByPeer[event.peerId];
  if (!id || id === event.transferId) return null;
  const record = context.transfers[id];
  return record ? { id, record } : null;
}

function dialerOf(context: PeerContext, event: HelloEvent, record: TransferRecord): string {
  return record.direction === 'outbound' ? context.config.identity.peerId : event.peerId;
}

/** The context after admitting the remote of `event` (the duplicate it replaces forgotten). */
export function admitted(context: PeerContext, event: HelloEvent): Partial<PeerContext> {
  const { transferId, remoteAddress } = event;
  const record = context.transfers[transferId]!;
  const transfers = { ...context.transfers };
  const replaced = duplicateOf(context, event);
  if (replaced) transfers[replaced.id] = { ...replaced.record, peerId: null };
  transfers[transferId] = { ...record, peerId: event.peerId, remoteAddress, stage: 'trading' };
  return {
    transfers,
    activeByPeer: { ...context.activeByPeer, [event.peerId]: transferId },
    bootstrap:
      record.bootstrap === null
        ? context.bootstrap
        : context.bootstrap.map((b, i) =>
            i === record.bootstrap ? { ...b, state: 'reached' as const } : b,
          ),
    met: context.met + 1,
    lastProgressAt: context.config.clock.now(),
  };
}
