import type { TransferToPeerEvent } from '../transfer';
import type { KeeperToPeerEvent } from './keeperEvents';

/**
 * The peer machine's events: from its keeper (views, judged control messages, storage
 * outcomes, accepted connections, ticks), from its transfers (hello and end) and the user.
 */
export type PeerEvent =
  | KeeperToPeerEvent
  | Extract<TransferToPeerEvent, { type: 'transfer.hello' | 'transfer.closed' }>
  | { type: 'peer.stop'; reason: string };

/** A transfer's event carrying a remote's control message. */
export type FromRemote = Extract<
  PeerEvent,
  { transferId: string; peerId: string; message: unknown }
>;
