/**
 * The v2 trust encodings written again from docs/protocol-p2p.md §9 alone, with node:crypto
 * and nothing of ours: the hostile peer signs (and forges) with these, and the tests check
 * them byte for byte against src/p2p. Two implementations that agree are the best evidence
 * that the spec is precise enough for a third.
 */
import {
  createHash,
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';

export interface HostileKey {
  privateKey: KeyObject;
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Buffer;
  /** base32(SHA-256(publicKey)), 52 characters. */
  peerId: string;
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding, bit by bit (deliberately unlike ours). */
export function base32Of(bytes: Uint8Array): string {
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  while (bits.length % 5 !== 0) bits += '0';
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += B32[Number.parseInt(bits.slice(i, i + 5), 2)];
  return out;
}

export function peerIdFromKey(publicKey: Uint8Array): string {
  return base32Of(createHash('sha256').update(publicKey).digest());
}

/** The 32 bytes an ID spells (its last character carries 1 bit). */
export function idBytes(peerId: string): Buffer {
  let bits = '';
  for (const ch of peerId) bits += B32.indexOf(ch).toString(2).padStart(5, '0');
  const out = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) out[i] = Number.parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  return out;
}

export function hostileKey(): HostileKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // SPKI DER of an Ed25519 key is a 12-byte header followed by the raw 32-byte key.
  const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(12);
  return { privateKey, publicKey: Buffer.from(raw), peerId: peerIdFromKey(raw) };
}

export const signBytes = (key: HostileKey, bytes: Uint8Array): Buffer =>
  sign(null, bytes, key.privateKey);

export function verifyBytes(publicKey: Uint8Array, bytes: Uint8Array, signature: Uint8Array) {
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]);
  return verify(
    null,
    bytes,
    createPublicKey({ key: spki, format: 'der', type: 'spki' }),
    signature,
  );
}

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
const u64 = (n: number) => Buffer.concat([u32(Math.floor(n / 2 ** 32)), u32(n % 2 ** 32)]);
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();
const context = (text: string) => Buffer.from(`${text}\0`, 'ascii');

export type Role = 'dialer' | 'acceptor';

export interface Transcript {
  dialerId: string;
  acceptorId: string;
  dialerNonce: Uint8Array;
  acceptorNonce: Uint8Array;
}

/** §9.3: context | 0 | version u16 | role | dialer ID | acceptor ID | dialer nonce | acceptor nonce. */
export function transcriptBytes(kind: 'signature' | 'membership', role: Role, t: Transcript) {
  return Buffer.concat([
    context(`timeswarm-p2p/2 handshake ${kind}`),
    u16(2),
    Buffer.from(role === 'dialer' ? 'D' : 'A', 'ascii'),
    idBytes(t.dialerId),
    idBytes(t.acceptorId),
    t.dialerNonce,
    t.acceptorNonce,
  ]);
}

export const handshakeMac = (secret: string, role: Role, t: Transcript) =>
  createHmac('sha256', secret)
    .update(transcriptBytes('membership', role, t))
    .digest();

export interface ManifestFields {
  name: string;
  size: number;
  sha256: Buffer;
  chunkSize: number;
  chunkHashes: Buffer;
}

/** §9.4: what an owner signs for a manifest. */
export function manifestSigningBytes(owner: string, m: ManifestFields): Buffer {
  const name = Buffer.from(m.name, 'latin1');
  return Buffer.concat([
    context('timeswarm-p2p/2 manifest'),
    idBytes(owner),
    Buffer.from([name.length]),
    name,
    u64(m.size),
    u32(m.chunkSize),
    u32(Math.ceil(m.size / m.chunkSize)),
    m.sha256,
    sha256(m.chunkHashes),
  ]);
}

export interface RecordFields {
  seq: number;
  expiresAt: number;
  complete: boolean;
  addresses: Array<{ ip: Uint8Array; port: number }>;
}

/** §9.5: what a peer signs about itself. */
export function recordSigningBytes(peerId: string, r: RecordFields): Buffer {
  return Buffer.concat([
    context('timeswarm-p2p/2 peer record'),
    idBytes(peerId),
    u64(r.seq),
    u64(r.expiresAt),
    Buffer.from([r.complete ? 1 : 0, r.addresses.length]),
    ...r.addresses.flatMap(({ ip, port }) => [
      Buffer.from([ip.length === 4 ? 4 : 6]),
      ip,
      u16(port),
    ]),
  ]);
}

/**
 * A `manifest` message signed by `signer`. `claimAs` puts another owner's ID and key on it
 * (a forgery: the signature is `signer`'s), `alter` changes fields after signing.
 */
export function manifestMessage(
  signer: HostileKey,
  m: ManifestFields,
  options: { claimAs?: HostileKey | { peerId: string; publicKey: Buffer }; have?: Buffer } = {},
) {
  const owner = options.claimAs ?? signer;
  const signature = signBytes(signer, manifestSigningBytes(owner.peerId, m));
  const chunks = Math.ceil(m.size / m.chunkSize);
  return {
    type: 'manifest',
    ...m,
    owner: owner.peerId,
    ownerKey: owner.publicKey,
    signature,
    have: options.have ?? Buffer.alloc(Math.ceil(chunks / 8)),
  };
}

/** A signed record entry (for `records` and `bye`), signed by `signer` about `subject`. */
export function recordEntry(
  signer: HostileKey,
  r: RecordFields,
  subject: { peerId: string; publicKey: Buffer } = signer,
) {
  return {
    peerId: subject.peerId,
    publicKey: subject.publicKey,
    ...r,
    signature: signBytes(signer, recordSigningBytes(subject.peerId, r)),
  };
}

/** Manifest fields for `data` under any name (the name rule is not checked here). */
export function manifestFieldsOf(name: string, data: Buffer, chunkSize: number): ManifestFields {
  const hashes: Buffer[] = [];
  for (let at = 0; at < data.length; at += chunkSize) {
    hashes.push(sha256(data.subarray(at, at + chunkSize)));
  }
  return {
    name,
    size: data.length,
    sha256: sha256(data),
    chunkSize,
    chunkHashes: Buffer.concat(hashes),
  };
}

/** Names the protocol must refuse (issue 9), each one a reason to answer ERR_BAD_FILE_NAME. */
export const HOSTILE_NAMES = [
  'evil\u202etxt.exe',
  'client_2_TimeDat\u0430.txt',
  'zero\u200bwidth.txt',
  '\ufeffbom.txt',
  '-rf',
  '*',
  '$(touch x)',
  '../escape',
  '.hidden',
  'x'.repeat(129),
];
