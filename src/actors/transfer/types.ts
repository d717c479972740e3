import type { ActorRef, Snapshot } from 'xstate';
import type { ErrorInfo } from '../../errors';
import type { Logger } from '../../log/logger';
import type { PeerIdentity } from '../../p2p/identity';
import type { IncomingChunk } from '../../p2p/storagePipeline';
import type { RetryPolicy } from '../../time';
import type {
  ByteChannel,
  DoneMessage,
  HaveMessage,
  ManifestMessage,
  PeerConnection,
  PeerEntry,
  PeerHello,
  PeerMessage,
  PeersMessage,
  RecordsMessage,
  RejectMessage,
  Transport,
  WireRecord,
} from '../../transport';
import type { ConnectionLost, ParentRef, WireEvent } from '../shared';
import type { WireCommand } from './transfer.actors';

export interface TransferTiming {
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  /** With requests outstanding, a peer that sends nothing for this long is cut off. */
  stallTimeoutMs: number;
  retry: RetryPolicy;
}

/** A message the peer broadcasts to every trading connection, except `except`. */
export interface Announcement {
  message: PeerMessage;
  except?: string;
}

/** How far a transfer got: `connect` (never connected), `handshake` (nothing proven), or `trading`. */
export type TransferStage = 'connect' | 'handshake' | 'trading';

/** What a transfer tells the peer that spawned it: one event per control message it forwards. */
export type TransferToPeerEvent =
  /** The remote proved its ID (`peerId`) in the handshake: the peer admits or refuses it. */
  | { type: 'transfer.hello'; transferId: string; peerId: string; remoteAddress: string }
  | { type: 'transfer.manifest'; transferId: string; peerId: string; message: ManifestMessage }
  | { type: 'transfer.have'; transferId: string; peerId: string; message: HaveMessage }
  | { type: 'transfer.peers'; transferId: string; peerId: string; message: PeersMessage }
  | { type: 'transfer.done'; transferId: string; peerId: string; message: DoneMessage }
  | { type: 'transfer.reject'; transferId: string; peerId: string; message: RejectMessage }
  | {
      type: 'transfer.closed';
      transferId: string;
      peerId: string | null;
      direction: 'outbound' | 'inbound';
      target: { host: string; port: number } | null;
      stage: TransferStage;
      code: string;
      reason: string;
      /** The other side ended it (its `bye`), rather than us or the network. */
      byRemote: boolean;
    };

/**
 * What a transfer tells its peer's keeper: its link while it trades (the connection the
 * keeper writes greetings, announcements and uploads to), the data path (chunk payloads,
 * requests, cancels), every control message, and its wire bytes when it ends.
 */
export type TransferToKeeperEvent =
  | Exclude<TransferToPeerEvent, { type: 'transfer.hello' | 'transfer.closed' }>
  | {
      type: 'keeper.attach';
      transferId: string;
      peerId: string;
      connection: PeerConnection;
      transfer: ActorRef<Snapshot<unknown>, TransferEvent>;
    }
  | { type: 'keeper.detach'; transferId: string }
  | { type: 'keeper.greet'; transferId: string; peerId: string }
  | { type: 'keeper.records'; transferId: string; peerId: string; message: RecordsMessage }
  | { type: 'keeper.request'; transferId: string; name: string; index: number }
  | { type: 'keeper.cancel'; transferId: string; name: string; index: number }
  | ({ type: 'keeper.chunk' } & IncomingChunk)
  | { type: 'keeper.ended'; transferId: string; sent: number; received: number };

/** Control messages passed up to the peer machine (chunk data and requests never are). */
export type ForwardedMessage =
  | ManifestMessage
  | HaveMessage
  | PeersMessage
  | DoneMessage
  | RejectMessage;

/** A remote's control messages, one event each (`remote.hello`, `remote.manifest`, …). */
export type RemoteEvent = WireEvent<
  'remote',
  Exclude<PeerMessage, { type: 'chunk' | 'request' | 'cancel' }>
>;

export interface TransferInput {
  id: string;
  direction: 'outbound' | 'inbound';
  transport: Transport;
  /** Where to dial (outbound). */
  target?: { host: string; port: number };
  /** The accepted channel (inbound). */
  channel?: ByteChannel;
  localAddress?: string;
  /** Whom we prove to be in the handshake. */
  identity: PeerIdentity;
  /** The swarm's shared secret: membership is then proven and required. */
  secret?: string;
  /** Dialing a known peer: anyone else answering is refused (`ERR_PEER_ID_MISMATCH`). */
  expectedPeerId?: string;
  /** The peer actor: told of the hello and of the end. */
  peer: ParentRef<Extract<TransferToPeerEvent, { type: 'transfer.hello' | 'transfer.closed' }>>;
  /**
   * The peer's keeper: takes chunk payloads, requests and control messages, greets the
   * remote and tells it what the peer announces while we trade (`TransferToKeeperEvent`).
   */
  keeper: ParentRef<TransferToKeeperEvent>;
  timing: TransferTiming;
  logger?: Logger;
}

export type TransferEvent =
  | RemoteEvent
  | { type: 'remote.chunk'; name: string; index: number }
  | ConnectionLost
  | { type: 'transfer.admit' }
  | {
      type: 'transfer.refuse';
      code: string;
      reason: string;
      peers?: PeerEntry[];
      records?: WireRecord[];
    }
  | { type: 'transfer.request'; requests: Array<{ name: string; index: number }> }
  | { type: 'transfer.cancel'; requests: Array<{ name: string; index: number }> }
  | { type: 'transfer.close'; code: string; reason: string };

/** Why a transfer ended; the first reason wins. */
export interface TransferEnd {
  code: string;
  reason: string;
  byRemote: boolean;
  /** Peers to name in our `bye` (a full peer's answer). */
  peers?: PeerEntry[];
  /** Their signed records, which are what a refused dialer may dial (§9.8). */
  records?: WireRecord[];
}

export interface TransferContext {
  /** Its settings (an accepted channel goes to the wire, not here). */
  input: Omit<TransferInput, 'channel'>;
  logger: Logger;
  attempt: number;
  /** The actor that owns the socket once connected (`wire` in `transfer.actors.ts`). */
  wire: ActorRef<Snapshot<unknown>, WireCommand> | null;
  /** The remote's address, once connected. */
  remoteAddress: string | null;
  /** Our fresh handshake nonce for this connection. */
  nonce: Uint8Array;
  /** The remote's hello, once it passed its checks (its ID is not proven before its auth). */
  remoteHello: PeerHello | null;
  /** The remote's ID, once proven by its auth. */
  remoteId: string | null;
  /** Requests sent and not yet answered (approximate after cancels; only drives the stall timer). */
  outstanding: number;
  /** The remote's greeting has been received (its first `peers` message ends it). */
  synced: boolean;
  stage: TransferStage;
  end: TransferEnd | null;
}

/** An end from an error the transport or a promise reported. */
export const endFromError = (error: ErrorInfo): TransferEnd => ({
  code: error.code,
  reason: error.message,
  byRemote: false,
});
