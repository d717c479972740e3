import { createHash } from 'node:crypto';
import { isSafeFileName } from '../../storage/fileName';
import { type Manifest, manifestChunkCount, manifestProblem } from '../../storage/manifest';
import { P2P_CODES } from '../errors';
import type { PeerIdentity } from '../identity/keys';
import { verifySignature } from '../identity/keys';
import { isPeerId, type PeerId, PUBLIC_KEY_BYTES, peerIdBytes, peerIdOf } from '../identity/peerId';

/** ASCII prefix of the signed bytes of a manifest, followed by one 0x00 byte. */
export const MANIFEST_CONTEXT = 'timeswarm-p2p/2 manifest';

/**
 * A manifest with its owner's signature, *verified*: only {@link signManifest} and
 * {@link verifySignedManifest} make one (the brand), so code that takes a `SignedManifest`
 * cannot be handed a manifest nobody checked.
 */
export interface SignedManifest {
  readonly manifest: Manifest;
  /** The peer that contributes the file: the fingerprint of `ownerKey`. */
  readonly owner: PeerId;
  /** The owner's raw Ed25519 public key (32 bytes). */
  readonly ownerKey: Buffer;
  /** Ed25519 signature (64 bytes) of {@link signedManifestBytes}. */
  readonly signature: Buffer;
  /** SHA-256 of {@link manifestBodyBytes}: equal exactly when two manifests describe the same content. */
  readonly contentDigest: Buffer;
  readonly __verified: true;
}

/** A signed manifest as it arrives, not yet checked. */
export interface ManifestClaim {
  manifest: Manifest;
  owner: string;
  ownerKey: Uint8Array;
  signature: Uint8Array;
}

export type ManifestVerification =
  | { ok: true; value: SignedManifest }
  | {
      ok: false;
      code: 'ERR_BAD_MANIFEST' | typeof P2P_CODES.peerIdMismatch | typeof P2P_CODES.badSignature;
    };

/**
 * The canonical bytes of a manifest's content (no owner), exactly:
 *
 * ```
 * name length (u8, 1–128) | name (ASCII) | size (u64 BE) | chunk size (u32 BE)
 *   | chunk count n (u32 BE) | SHA-256 of the file (32) | SHA-256 of chunkHashes (32)
 * ```
 *
 * `chunkHashes` (32·n bytes) enters through its own SHA-256, so the signed bytes stay small
 * while every chunk hash is still bound. Never msgpack: a map's key order may vary between
 * encoders, these bytes may not. Throws on a manifest that breaks the rules (name, sizes).
 */
export function manifestBodyBytes(manifest: Manifest): Buffer {
  const problem = manifestProblem(manifest);
  if (problem !== null || !isSafeFileName(manifest.name)) {
    throw new RangeError(`Not a valid manifest: ${problem}`);
  }
  const name = Buffer.from(manifest.name, 'ascii');
  const out = Buffer.alloc(1 + name.length + 8 + 4 + 4 + 32 + 32);
  let at = out.writeUInt8(name.length, 0);
  at += name.copy(out, at);
  at = out.writeBigUInt64BE(BigInt(manifest.size), at);
  at = out.writeUInt32BE(manifest.chunkSize, at);
  at = out.writeUInt32BE(manifestChunkCount(manifest), at);
  at += manifest.sha256.copy(out, at);
  createHash('sha256').update(manifest.chunkHashes).digest().copy(out, at);
  return out;
}

/** `MANIFEST_CONTEXT | 0x00 | owner peer ID (32 bytes) | manifestBodyBytes`: what the owner signs. */
export function signedManifestBytes(owner: PeerId, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${MANIFEST_CONTEXT}\0`, 'ascii'), peerIdBytes(owner), body]);
}

/** The owner signs a manifest of its own file. Throws on an invalid manifest. */
export function signManifest(identity: PeerIdentity, manifest: Manifest): SignedManifest {
  const body = manifestBodyBytes(manifest);
  return {
    manifest,
    owner: identity.peerId,
    ownerKey: identity.publicKey,
    signature: identity.sign(signedManifestBytes(identity.peerId, body)),
    contentDigest: createHash('sha256').update(body).digest(),
    __verified: true,
  };
}

/**
 * Checks a manifest received from anyone (its owner or a relay).
 *
 * Security property: no relay can alter or invent a manifest. Every field that decides the
 * bytes a receiver ends with (name, size, chunk size, whole-file and every chunk hash) is
 * under the owner's signature, and the owner is the fingerprint of the key that signed.
 */
export function verifySignedManifest(claim: ManifestClaim): ManifestVerification {
  let body: Buffer;
  try {
    body = manifestBodyBytes(claim.manifest);
  } catch {
    return { ok: false, code: 'ERR_BAD_MANIFEST' };
  }
  if (
    claim.ownerKey.length !== PUBLIC_KEY_BYTES ||
    !isPeerId(claim.owner) ||
    peerIdOf(claim.ownerKey) !== claim.owner
  ) {
    return { ok: false, code: P2P_CODES.peerIdMismatch };
  }
  if (!verifySignature(claim.ownerKey, signedManifestBytes(claim.owner, body), claim.signature)) {
    return { ok: false, code: P2P_CODES.badSignature };
  }
  return {
    ok: true,
    value: {
      manifest: claim.manifest,
      owner: claim.owner,
      ownerKey: Buffer.from(claim.ownerKey),
      signature: Buffer.from(claim.signature),
      contentDigest: createHash('sha256').update(body).digest(),
      __verified: true,
    },
  };
}
