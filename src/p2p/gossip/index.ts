/** Gossip without amplification: signed peer records, the record book, the dial planner. */
export type { DialPlannerOptions, DialSource, DialTicket } from './dialPlanner';
export { DialPlanner } from './dialPlanner';
export { bytesToIp, ipToBytes, unmapIPv4 } from './ipBytes';
export type { OwnRecordFields } from './ownRecord';
export { signOwnRecord } from './ownRecord';
export type {
  PeerAddress,
  PeerRecordClaim,
  PeerRecordFields,
  RecordCheckOptions,
  RecordRefusal,
  RecordVerification,
  SignedPeerRecord,
} from './peerRecord';
export {
  DEFAULT_RECORD_TTL_MS,
  MAX_RECORD_ADDRESSES,
  MAX_RECORD_SEQ,
  MAX_RECORD_TTL_MS,
  peerRecordBytes,
  RECORD_CONTEXT,
  signPeerRecord,
  verifyPeerRecord,
} from './peerRecord';
export type { RecordBookOptions, RecordOffer } from './recordBook';
export { RecordBook } from './recordBook';
