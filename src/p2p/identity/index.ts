/** Peer identities: Ed25519 keys, peer IDs (key fingerprints), the key file, the v2 handshake. */
export type {
  AuthFields,
  HandshakeCode,
  HandshakeOptions,
  HandshakeStep,
  HelloFields,
  ProvenPeer,
} from './handshake';
export { authFor, authProblem, Handshake, helloProblem, transcriptFor } from './handshake';
export type { KeyFileOptions, LoadedIdentity } from './keyFile';
export { DEFAULT_KEY_FILE_NAME, loadOrCreateIdentity } from './keyFile';
export type { PeerIdentity } from './keys';
export {
  generateIdentity,
  identityFromPem,
  identityFromPrivateKey,
  verifySignature,
} from './keys';
export type { PeerId } from './peerId';
export {
  base32,
  formatPeerId,
  isPeerId,
  PEER_ID_BYTES,
  PEER_ID_LENGTH,
  PUBLIC_KEY_BYTES,
  parsePeerId,
  peerIdBytes,
  peerIdOf,
  SIGNATURE_BYTES,
  shortPeerId,
} from './peerId';
export type { HandshakeRole, HandshakeTranscript } from './transcript';
export {
  bytesEqual,
  createHandshakeNonce,
  HANDSHAKE_NONCE_BYTES,
  handshakeTranscriptBytes,
  MEMBERSHIP_CONTEXT,
  MEMBERSHIP_PROOF_BYTES,
  membershipProof,
  membershipProofMatches,
  P2P_PROTOCOL_VERSION,
  SIGNATURE_CONTEXT,
  signHandshake,
  verifyHandshake,
} from './transcript';
