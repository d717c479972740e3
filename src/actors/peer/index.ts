export type { PeerConfig, PeerInput } from './config';
export type { BootstrapEntry, PeerContext, PeerHelpers, TransferRecord } from './context';
export { createPeerContext } from './context';
export { type Dial, planDials, shuffle } from './dialPlan';
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
