import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PeerIdentity } from './keys';
import { verifySignature } from './keys';
import { type PeerId, peerIdBytes } from './peerId';

/** The protocol version the trust layer speaks (docs/protocol-p2p.md §9). */
export const P2P_PROTOCOL_VERSION = 2;
/** Bytes of each side's handshake nonce. */
export const HANDSHAKE_NONCE_BYTES = 32;
/** Bytes of the membership proof (HMAC-SHA256). */
export const MEMBERSHIP_PROOF_BYTES = 32;

/** Which end of the connection a proof comes from. */
export type HandshakeRole = 'dialer' | 'acceptor';

/** ASCII domain-separation prefixes, each followed by one 0x00 byte in the transcript. */
export const SIGNATURE_CONTEXT = 'timeswarm-p2p/2 handshake signature';
export const MEMBERSHIP_CONTEXT = 'timeswarm-p2p/2 handshake membership';

const ROLE_BYTE: Record<HandshakeRole, number> = { dialer: 0x44, acceptor: 0x41 }; // 'D', 'A'

/** What both sides know once both hellos are in: the same values at both ends. */
export interface HandshakeTranscript {
  dialerId: PeerId;
  acceptorId: PeerId;
  dialerNonce: Uint8Array;
  acceptorNonce: Uint8Array;
}

/** A fresh random nonce; each side draws one per connection. */
export function createHandshakeNonce(): Buffer {
  return randomBytes(HANDSHAKE_NONCE_BYTES);
}

/**
 * The exact bytes a side signs (and MACs) to prove itself on one connection:
 *
 * ```
 * context (ASCII) | 0x00 | version (u16 BE, = 2) | role (u8: 'D' 0x44 dialer, 'A' 0x41 acceptor)
 *   | dialer ID (32 bytes) | acceptor ID (32 bytes) | dialer nonce (32) | acceptor nonce (32)
 * ```
 *
 * Security properties: the other side's fresh nonce makes a proof good for this connection
 * only (no replay into another one); the role byte makes the dialer's proof useless as the
 * acceptor's (no reflection, even on a connection to oneself); both IDs bind the proof to
 * this pair (no relaying it to a third peer); the context keeps a handshake signature from
 * ever being valid as a manifest or a peer record signature (those have their own contexts),
 * and the MAC's context differs from the signature's.
 */
export function handshakeTranscriptBytes(
  context: string,
  role: HandshakeRole,
  t: HandshakeTranscript,
): Buffer {
  if (
    t.dialerNonce.length !== HANDSHAKE_NONCE_BYTES ||
    t.acceptorNonce.length !== HANDSHAKE_NONCE_BYTES
  ) {
    throw new RangeError('Handshake nonces are 32 bytes');
  }
  const head = Buffer.alloc(context.length + 4);
  head.write(context, 0, 'ascii');
  head[context.length] = 0;
  head.writeUInt16BE(P2P_PROTOCOL_VERSION, context.length + 1);
  head[context.length + 3] = ROLE_BYTE[role];
  return Buffer.concat([
    head,
    peerIdBytes(t.dialerId),
    peerIdBytes(t.acceptorId),
    t.dialerNonce,
    t.acceptorNonce,
  ]);
}

/** The signature `role` sends to prove it holds the key behind its ID. */
export function signHandshake(
  identity: PeerIdentity,
  role: HandshakeRole,
  t: HandshakeTranscript,
): Buffer {
  return identity.sign(handshakeTranscriptBytes(SIGNATURE_CONTEXT, role, t));
}

/** True when `signature` proves that the holder of `publicKey` took part as `role`. */
export function verifyHandshake(
  publicKey: Uint8Array,
  role: HandshakeRole,
  t: HandshakeTranscript,
  signature: Uint8Array,
): boolean {
  return verifySignature(
    publicKey,
    handshakeTranscriptBytes(SIGNATURE_CONTEXT, role, t),
    signature,
  );
}

/**
 * HMAC-SHA256 (key: the secret's UTF-8 bytes) over the membership transcript: proves that
 * `role` knows the swarm's shared secret, as `src/transport/auth.ts` does for sessions.
 */
export function membershipProof(secret: string, role: HandshakeRole, t: HandshakeTranscript) {
  return createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(handshakeTranscriptBytes(MEMBERSHIP_CONTEXT, role, t))
    .digest();
}

/** Constant-time check of a membership proof (the time taken tells an attacker nothing). */
export function membershipProofMatches(
  secret: string,
  role: HandshakeRole,
  t: HandshakeTranscript,
  proof: Uint8Array | undefined,
): boolean {
  return bytesEqual(membershipProof(secret, role, t), proof);
}

/** Constant-time equality of two byte strings (false when a length differs or one is missing). */
export function bytesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && timingSafeEqual(a, b);
}
