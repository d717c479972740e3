import { createHash } from 'node:crypto';
import { P2P_CODES, P2pError } from '../errors';

/**
 * A peer ID: the fingerprint of a peer's Ed25519 public key, as Syncthing's device IDs and
 * libp2p's peer IDs are.
 *
 * Derivation (docs/protocol-p2p.md §9.2): `base32(SHA-256(publicKey))`, where `publicKey`
 * is the raw 32-byte Ed25519 public key (RFC 8032 encoding) and base32 is RFC 4648's
 * alphabet `A–Z 2–7`, upper case, without padding: 256 bits → 52 characters, the last one
 * carrying 1 bit followed by 4 zero bits. Only that canonical spelling is a peer ID.
 *
 * Security property: an ID cannot be claimed, only proven. Whoever presents an ID must show
 * the public key that hashes to it and sign with the matching private key (see
 * `handshake.ts`); finding another key with the same ID means a SHA-256 second preimage.
 */
export type PeerId = string & { readonly __brand: 'PeerId' };

/** Bytes of the raw Ed25519 public key. */
export const PUBLIC_KEY_BYTES = 32;
/** Bytes of an Ed25519 signature. */
export const SIGNATURE_BYTES = 64;
/** Bytes of the digest a peer ID spells. */
export const PEER_ID_BYTES = 32;
/** Characters of a peer ID. */
export const PEER_ID_LENGTH = 52;
/** Characters of the short form used in logs and progress lines. */
export const SHORT_PEER_ID_LENGTH = 8;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const CANONICAL = /^[A-Z2-7]{51}[AQ]$/;

/** RFC 4648 base32, upper case, no padding. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

function base32Decode(text: string, byteLength: number): Buffer {
  const out = Buffer.alloc(byteLength);
  let buffer = 0;
  let bits = 0;
  let at = 0;
  for (const ch of text) {
    buffer = (buffer << 5) | ALPHABET.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out[at++] = (buffer >>> (bits - 8)) & 0xff;
      bits -= 8;
      buffer &= (1 << bits) - 1;
    }
  }
  return out;
}

/** The peer ID of a raw 32-byte Ed25519 public key. */
export function peerIdOf(publicKey: Uint8Array): PeerId {
  if (publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new P2pError('An Ed25519 public key is 32 bytes', P2P_CODES.badPeerId);
  }
  return base32(createHash('sha256').update(publicKey).digest()) as PeerId;
}

/** True when `text` is a peer ID in its canonical (wire) spelling. */
export function isPeerId(text: unknown): text is PeerId {
  return typeof text === 'string' && CANONICAL.test(text);
}

/** The 32 bytes a peer ID spells (the SHA-256 of its key); used inside signed transcripts. */
export function peerIdBytes(id: PeerId): Buffer {
  if (!isPeerId(id)) throw new P2pError('Not a peer ID', P2P_CODES.badPeerId);
  return base32Decode(id, PEER_ID_BYTES);
}

/**
 * Reads a peer ID typed by a person (`--trust`, a config file): case, spaces and the `-`
 * of the grouped form are ignored. Throws `ERR_BAD_PEER_ID` for anything else.
 */
export function parsePeerId(text: string): PeerId {
  const compact = text.replace(/[\s-]/g, '').toUpperCase();
  if (!isPeerId(compact)) {
    throw new P2pError('A peer ID is 52 base32 characters (A–Z, 2–7)', P2P_CODES.badPeerId);
  }
  return compact;
}

/**
 * The fingerprint as a person reads and compares it: 13 groups of 4 characters joined by
 * `-`, e.g. `MFRG-GZDF-…-AAAA`. {@link parsePeerId} reads it back.
 */
export function formatPeerId(id: string): string {
  return id.match(/.{1,4}/g)!.join('-');
}

/** The first 8 characters: enough to tell peers apart in logs, never to trust one. */
export function shortPeerId(id: PeerId): string {
  return id.slice(0, SHORT_PEER_ID_LENGTH);
}
