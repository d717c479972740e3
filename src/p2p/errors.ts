import { TimeswarmError } from '../errors';

/**
 * Errors of the peer-to-peer trust layer (identities, signatures, ownership, gossip, quotas).
 * Each carries a stable `code` (also the code a peer sends in `bye`, see
 * docs/protocol-p2p.md §9.12); the message is for people and may change.
 */
export class P2pError extends TimeswarmError {
  override name = 'P2pError';
  constructor(message: string, code = 'ERR_P2P', options?: { cause?: unknown }) {
    super(message, code, options);
  }
}

/** Every code this layer produces, so callers can switch on them exhaustively. */
export const P2P_CODES = {
  /** The key file is readable by group or others, or is not a regular file owned by us. */
  keyFilePermissions: 'ERR_KEY_FILE_PERMISSIONS',
  /** The key file is a symbolic link (it could point anywhere). */
  keyFileSymlink: 'ERR_KEY_FILE_SYMLINK',
  /** The key file does not hold one Ed25519 private key. */
  keyFileInvalid: 'ERR_KEY_FILE_INVALID',
  /** Text that is not a peer ID (52 base32 characters, optionally grouped by `-`). */
  badPeerId: 'ERR_BAD_PEER_ID',
  /** A peer ID that is not the fingerprint of the key presented with it, or is malformed. */
  peerIdMismatch: 'ERR_PEER_ID_MISMATCH',
  /** A signature (handshake, manifest, peer record) that does not verify. */
  badSignature: 'ERR_BAD_SIGNATURE',
  /** The shared-secret proof is missing or wrong: the peer is not a member. */
  auth: 'ERR_AUTH',
  /** A protocol version other than ours. */
  version: 'ERR_VERSION',
  /** A message out of place in the handshake. */
  protocol: 'ERR_PROTOCOL',
  /** The other side proved our own ID: the connection loops back. */
  self: 'ERR_SELF',
  /** Two different contents announced for one name by accepted owners. */
  nameConflict: 'ERR_NAME_CONFLICT',
  /** A manifest signed by an owner outside the trust list. */
  untrustedOwner: 'ERR_UNTRUSTED_OWNER',
  /** A signed peer record that is malformed, expired or lives too long. */
  badRecord: 'ERR_BAD_RECORD',
  /** An address outside the scope the user configured. */
  addressScope: 'ERR_ADDRESS_SCOPE',
  /** A per-peer or global cap on announcements was reached. */
  quota: 'ERR_QUOTA',
  /** Not enough free disk for a file. */
  noSpace: 'ERR_NO_SPACE',
} as const;

export type P2pCode = (typeof P2P_CODES)[keyof typeof P2P_CODES];
