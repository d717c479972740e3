import type { ActorRef, Snapshot } from 'xstate';
import type { SwarmReport } from '../../p2p/peerSummary';
import type { StorageEvent } from '../../p2p/storagePipeline';
import type { HaveMessage, ManifestMessage, PeersMessage } from '../../transport';
import type { ConnectionAccepted } from '../shared';
import type { TransferToKeeperEvent, TransferToPeerEvent } from '../transfer';
import type { MemberVerdict } from './closing';
import type { Prepared } from './resources';
import type { SwarmView } from './view';

/** What a `manifest` message is to us, as a plain value (`SwarmState.judgeManifest`). */
export type ManifestJudgement =
  | { kind: 'new' }
  | { kind: 'known' }
  | { kind: 'conflict' }
  | { kind: 'ignored'; code: string; limit?: string }
  | { kind: 'bad'; code: string; problem: string };

/** What a `have` message brings: a file we do not know, nothing new, or news. */
export type HaveJudgement = 'unknownFile' | 'nothingNew' | 'news';

/** What the peer machine tells its keeper to do (each after the machine decided it). */
export type PeerToKeeperEvent =
  | { type: 'keeper.adopt'; prepared: Prepared }
  | { type: 'keeper.ban'; peerId: string; code: string; message: string }
  | { type: 'keeper.conflict'; transferId: string; message: ManifestMessage }
  | { type: 'keeper.knownFile'; peerId: string; message: ManifestMessage }
  | { type: 'keeper.learnFile'; transferId: string; peerId: string; message: ManifestMessage }
  | { type: 'keeper.peerHas'; peerId: string; message: HaveMessage }
  | { type: 'keeper.mergePeers'; transferId: string; peerId: string; message: PeersMessage }
  | { type: 'keeper.peerDone'; transferId: string; peerId: string; seq: number }
  | { type: 'keeper.release'; peerId: string; name: string; index: number }
  | { type: 'keeper.dropPeer'; peerId: string }
  | { type: 'keeper.judgeClosed'; verdict: MemberVerdict }
  | { type: 'keeper.schedule' }
  | { type: 'keeper.announceSelf'; complete: boolean }
  | { type: 'keeper.leaveSwarm' }
  | { type: 'keeper.close' };

export type { TransferToKeeperEvent };

export type KeeperEvent = PeerToKeeperEvent | TransferToKeeperEvent | { type: 'keeper.tick' };

/** The keeper's actor reference, as machines hold it. */
export type KeeperRef = ActorRef<Snapshot<unknown>, KeeperEvent>;

type Forwarded<T extends TransferToPeerEvent['type']> = Extract<TransferToPeerEvent, { type: T }>;

/** What the keeper tells the peer: its view, each control message judged, storage outcomes. */
export type KeeperToPeerEvent =
  | { type: 'swarm.view'; view: SwarmView }
  | { type: 'peer.tick' }
  | ConnectionAccepted
  | (Forwarded<'transfer.manifest'> & { verdict: ManifestJudgement })
  | (Forwarded<'transfer.have'> & { verdict: HaveJudgement })
  | (Forwarded<'transfer.peers'> & { news: boolean })
  | Forwarded<'transfer.done'>
  | Forwarded<'transfer.reject'>
  | Exclude<StorageEvent, { type: 'chunk.bad' | 'file.opened' }>
  | (Extract<StorageEvent, { type: 'chunk.bad' }> & { bad: number })
  | { type: 'file.opened'; name: string }
  | { type: 'swarm.closed'; report: SwarmReport };
