import type { SnapshotFrom } from 'xstate';
import type { MemberStatus } from '../../p2p/membership';
import { stateText } from '../client/selectors';
import type { peerMachine } from './peer.machine';
import { type InboundView, memberOf } from './view';

export type PeerSnapshot = SnapshotFrom<typeof peerMachine>;

/** What a person wants to know about a running peer. */
export interface PeerProgress {
  peerId: string;
  /** The state, dotted (`swarm.exchanging.active`). */
  state: string;
  /** Files known and files held (verified). */
  files: number;
  held: number;
  /** Remotes trading with us now. */
  connected: number;
  /** Wire bytes. */
  bytesIn: number;
  bytesOut: number;
  finished: boolean;
}

export const selectPeerId = (snapshot: PeerSnapshot): string =>
  snapshot.context.config.identity.peerId;

/** `host:port` once the peer listens; null before. */
export const selectPeerAddress = (snapshot: PeerSnapshot): string | null =>
  snapshot.context.address;

export function selectPeerProgress(snapshot: PeerSnapshot): PeerProgress {
  const { context } = snapshot;
  const files = Object.values(context.view.files);
  return {
    peerId: selectPeerId(snapshot),
    state: stateText(snapshot.value),
    files: files.length,
    held: files.filter((f) => f.state === 'complete').length,
    connected: Object.values(context.transfers).filter((t) => t.stage === 'trading').length,
    bytesIn: context.view.bytes.received,
    bytesOut: context.view.bytes.sent,
    finished: snapshot.status !== 'active',
  };
}

/** Whether the peer knows a file of that name (held, arriving or failed). */
export const selectKnowsFile = (snapshot: PeerSnapshot, name: string): boolean =>
  Object.hasOwn(snapshot.context.view.files, name);

/** How one received file is coming in (chunks and bytes so far, from whom); null if not yet. */
export const selectInbound = (snapshot: PeerSnapshot, name: string): InboundView | null =>
  snapshot.context.view.inbound[name] ?? null;

/** What this peer thinks of another (connected, dead, banned…); null if never heard of. */
export const selectMemberStatus = (snapshot: PeerSnapshot, peerId: string): MemberStatus | null =>
  memberOf(snapshot.context.view, peerId)?.status ?? null;

/** This peer's own membership entry, as it gossips it. */
export const selectSelfEntry = (snapshot: PeerSnapshot) => snapshot.context.view.self;

/** When the peer first held every file (its monotonic ms), or null if it has not yet. */
export const selectPeerCompleteAt = (snapshot: PeerSnapshot): number | null =>
  snapshot.context.completeAt;
