/** Peer-to-peer building blocks with no XState in them: the peer and transfer machines compose these. */

export type {
  AddressClass,
  AddressScope,
  OwnAddress,
  ScopeCheck,
  ScopeClass,
  ScopeRefusal,
} from './addressScope';
export { addressScopeFrom, classifyAddress, scopeOf } from './addressScope';
export type { P2pCode } from './errors';
export { P2P_CODES, P2pError } from './errors';
export * from './gossip';
export * from './identity';
export type { Member, MemberStatus, MembershipOptions } from './membership';
export { Membership } from './membership';
export * from './ownership';
export type { PeerFileReport, PeerSummary } from './peerSummary';
export { summarizePeer } from './peerSummary';
export type { MemoryBound, PeerUsage, QuotaCheck, QuotaConfig, QuotaLimit } from './quotas';
export { AnnouncementQuotas, DEFAULT_QUOTAS, memoryBoundPerPeer } from './quotas';
export type { Assignment, SchedulerOptions } from './scheduler';
export { ChunkScheduler } from './scheduler';
export type { IncomingChunk, StorageEvent, StoragePipelineOptions } from './storagePipeline';
export { storagePipeline } from './storagePipeline';
export type { FileRecord, InboundFile, ManifestVerdict, MissingFile } from './swarm';
export { MAX_FILES, SwarmState } from './swarm';
export { TokenBucket } from './tokenBucket';
export type { UploadEvent, UploaderOptions, UploadLink } from './uploader';
export { Uploader } from './uploader';
export {
  authToWire,
  helloToWire,
  manifestClaimFromWire,
  recordClaimFromWire,
  recordToWire,
  signedManifestToWire,
} from './wire';
