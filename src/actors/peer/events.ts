import type { StorageEvent } from '../../p2p/storagePipeline';
import type { ConnectionAccepted } from '../shared';
import type { TransferToPeerEvent } from '../transfer';

export type PeerEvent =
  | ConnectionAccepted
  | { type: 'peer.tick' }
  | { type: 'peer.stop'; reason: string }
  | TransferToPeerEvent
  | StorageEvent;

/** A transfer's event carrying a remote's control message. */
export type FromRemote = Extract<
  PeerEvent,
  { transferId: string; peerId: string; message: unknown }
>;
