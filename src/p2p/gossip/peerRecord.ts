import { MAX_RECORD_ADDRESSES_V2 } from '../../transport/peerProtocolV2';
import { P2P_CODES } from '../errors';
import type { PeerIdentity } from '../identity/keys';
import { verifySignature } from '../identity/keys';
import { isPeerId, type PeerId, PUBLIC_KEY_BYTES, peerIdBytes, peerIdOf } from '../identity/peerId';
import { bytesToIp, ipToBytes } from './ipBytes';

/** ASCII prefix of a record's signed bytes, followed by one 0x00 byte. */
export const RECORD_CONTEXT = 'timeswarm-p2p/2 peer record';
/** Most addresses in one record (the wire schema's bound). */
export const MAX_RECORD_ADDRESSES = MAX_RECORD_ADDRESSES_V2;
/** Longest lifetime a record may claim (from the receiver's now); longer is refused. */
export const MAX_RECORD_TTL_MS = 60 * 60 * 1000;
/** Lifetime the reference peer gives its own records; it re-signs before they expire. */
export const DEFAULT_RECORD_TTL_MS = 10 * 60 * 1000;
/** Largest sequence number (fits a double exactly, encoded as u64). */
export const MAX_RECORD_SEQ = Number.MAX_SAFE_INTEGER;

/** Where a peer listens: an IP literal (never a DNS name) and a port 1–65535. */
export interface PeerAddress {
  host: string;
  port: number;
}

/** What a peer says about itself in a record. */
export interface PeerRecordFields {
  /** Bumped by the peer itself each time it signs a changed record; the highest wins. */
  seq: number;
  /** Wall-clock expiry, Unix milliseconds (UTC). */
  expiresAt: number;
  /** The peer holds every file it has accepted a manifest for. */
  complete: boolean;
  addresses: PeerAddress[];
}

/** A record checked against its subject's signature. Only this module makes one. */
export interface SignedPeerRecord extends PeerRecordFields {
  readonly peerId: PeerId;
  readonly publicKey: Buffer;
  readonly signature: Buffer;
  readonly __verified: true;
}

/** A record as it arrives, not yet checked. */
export interface PeerRecordClaim extends PeerRecordFields {
  peerId: string;
  publicKey: Uint8Array;
  signature: Uint8Array;
}

export type RecordRefusal =
  | 'malformed'
  | 'expired'
  | 'ttl-too-long'
  | 'id-mismatch'
  | 'bad-signature';

export type RecordVerification =
  | { ok: true; value: SignedPeerRecord }
  | {
      ok: false;
      code:
        | typeof P2P_CODES.badRecord
        | typeof P2P_CODES.peerIdMismatch
        | typeof P2P_CODES.badSignature;
      reason: RecordRefusal;
    };

/**
 * The exact bytes a peer signs about itself:
 *
 * ```
 * context (ASCII) | 0x00 | peer ID (32 bytes) | seq (u64 BE) | expiresAt (u64 BE, Unix ms)
 *   | flags (u8: bit 0 complete, others 0) | address count (u8, 0–8)
 *   | per address: family (u8, 4 or 6) | IP (4 or 16 bytes) | port (u16 BE)
 * ```
 *
 * Throws `RangeError` for fields outside their bounds (a DNS name, port 0, too many or
 * duplicate addresses, a negative or fractional number).
 */
export function peerRecordBytes(peerId: PeerId, fields: PeerRecordFields): Buffer {
  const { seq, expiresAt, complete, addresses } = fields;
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError('seq');
  if (!Number.isSafeInteger(expiresAt) || expiresAt < 0) throw new RangeError('expiresAt');
  if (addresses.length > MAX_RECORD_ADDRESSES) throw new RangeError('too many addresses');
  const parts: Buffer[] = [
    Buffer.from(`${RECORD_CONTEXT}\0`, 'ascii'),
    peerIdBytes(peerId),
    u64(seq),
    u64(expiresAt),
    Buffer.from([complete ? 1 : 0, addresses.length]),
  ];
  const seen = new Set<string>();
  for (const { host, port } of addresses) {
    const ip = ipToBytes(host);
    if (!ip) throw new RangeError('an address is not an IP literal');
    if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new RangeError('port');
    const key = `${ip.toString('hex')}:${port}`;
    if (seen.has(key)) throw new RangeError('duplicate address');
    seen.add(key);
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16BE(port);
    parts.push(Buffer.from([ip.length === 4 ? 4 : 6]), ip, portBytes);
  }
  return Buffer.concat(parts);
}

function u64(n: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(n));
  return out;
}

/** Addresses in their canonical text (the form the bytes decode to). */
function canonicalAddresses(addresses: readonly PeerAddress[]): PeerAddress[] {
  return addresses.map(({ host, port }) => {
    const ip = ipToBytes(host);
    return { host: (ip && bytesToIp(ip)) ?? host, port };
  });
}

/** A peer signs its own record. */
export function signPeerRecord(identity: PeerIdentity, fields: PeerRecordFields): SignedPeerRecord {
  const canonical = { ...fields, addresses: canonicalAddresses(fields.addresses) };
  return {
    ...canonical,
    peerId: identity.peerId,
    publicKey: identity.publicKey,
    signature: identity.sign(peerRecordBytes(identity.peerId, canonical)),
    __verified: true,
  };
}

export interface RecordCheckOptions {
  /** The receiver's wall clock, Unix ms. */
  nowWallMs: number;
  /** Longest lifetime accepted (default {@link MAX_RECORD_TTL_MS}). */
  maxTtlMs?: number;
}

/**
 * Checks a record received from anyone (its subject or a gossiping relay).
 *
 * Security properties: only the peer a record describes can sign it, so no relay can add an
 * address to someone's record, and a stolen record cannot be re-attributed (the ID is the
 * key's fingerprint and is under the signature). Records expire: one is refused once
 * `expiresAt` has passed, or when it claims to live longer than `maxTtlMs` from now (a
 * record cannot be made to outlive its use by a far-future expiry). Expiry is wall-clock
 * time because records travel between machines; a clock error of the receiver shortens or
 * lengthens a record's life by that error, never beyond `maxTtlMs`.
 */
export function verifyPeerRecord(
  claim: PeerRecordClaim,
  options: RecordCheckOptions,
): RecordVerification {
  const maxTtl = options.maxTtlMs ?? MAX_RECORD_TTL_MS;
  if (
    claim.publicKey.length !== PUBLIC_KEY_BYTES ||
    !isPeerId(claim.peerId) ||
    peerIdOf(claim.publicKey) !== claim.peerId
  ) {
    return { ok: false, code: P2P_CODES.peerIdMismatch, reason: 'id-mismatch' };
  }
  let bytes: Buffer;
  try {
    bytes = peerRecordBytes(claim.peerId, claim);
  } catch {
    return { ok: false, code: P2P_CODES.badRecord, reason: 'malformed' };
  }
  if (claim.expiresAt <= options.nowWallMs) {
    return { ok: false, code: P2P_CODES.badRecord, reason: 'expired' };
  }
  if (claim.expiresAt > options.nowWallMs + maxTtl) {
    return { ok: false, code: P2P_CODES.badRecord, reason: 'ttl-too-long' };
  }
  if (!verifySignature(claim.publicKey, bytes, claim.signature)) {
    return { ok: false, code: P2P_CODES.badSignature, reason: 'bad-signature' };
  }
  return {
    ok: true,
    value: {
      seq: claim.seq,
      expiresAt: claim.expiresAt,
      complete: claim.complete,
      addresses: canonicalAddresses(claim.addresses),
      peerId: claim.peerId,
      publicKey: Buffer.from(claim.publicKey),
      signature: Buffer.from(claim.signature),
      __verified: true,
    },
  };
}
