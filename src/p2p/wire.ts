import type {
  AuthMessage,
  HelloV2,
  ManifestV2Message,
  WireSignedRecord,
} from '../transport/peerProtocolV2';
import { PEER_PROTOCOL_V2 } from '../transport/peerProtocolV2';
import { bytesToIp, ipToBytes } from './gossip/ipBytes';
import type { PeerRecordClaim, SignedPeerRecord } from './gossip/peerRecord';
import type { AuthFields, HelloFields } from './identity/handshake';
import type { ManifestClaim, SignedManifest } from './ownership/signedManifest';

/**
 * Between the v2 wire messages (transport/peerProtocolV2.ts) and the trust layer's types.
 * Every `…FromWire` result is a *claim*: it still has to pass `verifySignedManifest`,
 * `verifyPeerRecord` or the `Handshake` before anything trusts it.
 */

export function helloToWire(hello: HelloFields): HelloV2 {
  return {
    type: 'hello',
    version: PEER_PROTOCOL_V2,
    peerId: hello.peerId,
    publicKey: hello.publicKey,
    nonce: hello.nonce,
  };
}

export function authToWire(auth: AuthFields): AuthMessage {
  return auth.mac
    ? { type: 'auth', signature: auth.signature, mac: auth.mac }
    : { type: 'auth', signature: auth.signature };
}

/** A signed manifest as sent: the owner's fields and signature plus the sender's `have`. */
export function signedManifestToWire(signed: SignedManifest, have: Uint8Array): ManifestV2Message {
  const { manifest } = signed;
  return {
    type: 'manifest',
    name: manifest.name,
    size: manifest.size,
    sha256: manifest.sha256,
    chunkSize: manifest.chunkSize,
    chunkHashes: manifest.chunkHashes,
    owner: signed.owner,
    ownerKey: signed.ownerKey,
    signature: signed.signature,
    have,
  };
}

export function manifestClaimFromWire(message: ManifestV2Message): ManifestClaim {
  return {
    manifest: {
      name: message.name,
      size: message.size,
      sha256: Buffer.from(message.sha256),
      chunkSize: message.chunkSize,
      chunkHashes: Buffer.from(message.chunkHashes),
    },
    owner: message.owner,
    ownerKey: message.ownerKey,
    signature: message.signature,
  };
}

export function recordToWire(record: SignedPeerRecord): WireSignedRecord {
  return {
    peerId: record.peerId,
    publicKey: record.publicKey,
    seq: record.seq,
    expiresAt: record.expiresAt,
    complete: record.complete,
    addresses: record.addresses.map(({ host, port }) => ({ ip: ipToBytes(host)!, port })),
    signature: record.signature,
  };
}

export function recordClaimFromWire(wire: WireSignedRecord): PeerRecordClaim {
  return {
    peerId: wire.peerId,
    publicKey: wire.publicKey,
    seq: wire.seq,
    expiresAt: wire.expiresAt,
    complete: wire.complete,
    // The schema admits only 4- or 16-byte addresses, which always have a text form.
    addresses: wire.addresses.map(({ ip, port }) => ({ host: bytesToIp(ip)!, port })),
    signature: wire.signature,
  };
}
