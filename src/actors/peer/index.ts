export type { PeerConfig, PeerInput } from './config';
export type { BootstrapEntry, PeerContext, TransferRecord } from './context';
export { createPeerContext } from './context';
export { type Dial, planDials, shuffle } from './dialPlan';
export { type KeeperInput, swarmKeeper } from './keeper';
export type { KeeperRef, KeeperToPeerEvent, PeerToKeeperEvent } from './keeperEvents';
export { peerMachine } from './peer.machine';
export type { PeerEvent } from './peer.setup';
export type { PeerProgress, PeerSnapshot } from './selectors';
export {
  selectInbound,
  selectKnowsFile,
  selectMemberStatus,
  selectPeerAddress,
  selectPeerCompleteAt,
  selectPeerId,
  selectPeerProgress,
  selectSelfEntry,
} from './selectors';
export type { FileView, InboundView, MemberView, SwarmView } from './view';
export { emptyView, viewIsComplete } from './view';
