import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { P2P_CODES, P2pError } from '../errors';
import { type PeerId, PUBLIC_KEY_BYTES, peerIdOf, SIGNATURE_BYTES } from './peerId';

/**
 * A peer's own identity: its ID, its raw public key, and a way to sign. The private key
 * stays inside (a `KeyObject` that is never exported again once loaded).
 */
export interface PeerIdentity {
  readonly peerId: PeerId;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKey: Buffer;
  /** Ed25519 signature (64 bytes) over `data`. */
  sign(data: Uint8Array): Buffer;
}

function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new P2pError('Not an Ed25519 key', P2P_CODES.keyFileInvalid);
  }
  return Buffer.from(jwk.x, 'base64url');
}

/** An identity around an Ed25519 private key. */
export function identityFromPrivateKey(privateKey: KeyObject): PeerIdentity {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new P2pError('Not an Ed25519 private key', P2P_CODES.keyFileInvalid);
  }
  const publicKey = rawPublicKey(createPublicKey(privateKey));
  return {
    peerId: peerIdOf(publicKey),
    publicKey,
    sign: (data) => sign(null, data, privateKey),
  };
}

/** A fresh identity (tests, and the first run before the key file exists). */
export function generateIdentity(): { identity: PeerIdentity; privateKeyPem: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  return {
    identity: identityFromPrivateKey(privateKey),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** Reads a PKCS#8 PEM Ed25519 private key; `ERR_KEY_FILE_INVALID` for anything else. */
export function identityFromPem(pem: string): PeerIdentity {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new P2pError('The key file does not hold a private key', P2P_CODES.keyFileInvalid, {
      cause,
    });
  }
  return identityFromPrivateKey(key);
}

// Public keys seen on the network are turned into KeyObjects once each; the cache is bounded
// (oldest dropped first) so a flood of fresh keys costs time, not memory.
const KEY_CACHE_SIZE = 256;
const keyCache = new Map<string, KeyObject | null>();

function publicKeyObject(raw: Uint8Array): KeyObject | null {
  const id = Buffer.from(raw).toString('base64url');
  const cached = keyCache.get(id);
  if (cached !== undefined) return cached;
  let key: KeyObject | null;
  try {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: id }, format: 'jwk' });
  } catch {
    key = null;
  }
  if (keyCache.size >= KEY_CACHE_SIZE) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(id, key);
  return key;
}

/**
 * True when `signature` is a valid Ed25519 signature of `data` by the raw `publicKey`.
 * Never throws: a malformed key or signature (wrong length, not a curve point) is `false`.
 */
export function verifySignature(
  publicKey: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  const key = publicKeyObject(publicKey);
  if (!key) return false;
  try {
    return verify(null, data, key, signature);
  } catch {
    return false;
  }
}
