import { P2P_CODES } from '../errors';
import type { PeerIdentity } from './keys';
import { isPeerId, type PeerId, PUBLIC_KEY_BYTES, peerIdOf } from './peerId';
import {
  bytesEqual,
  createHandshakeNonce,
  HANDSHAKE_NONCE_BYTES,
  type HandshakeRole,
  type HandshakeTranscript,
  membershipProof,
  membershipProofMatches,
  P2P_PROTOCOL_VERSION,
  signHandshake,
  verifyHandshake,
} from './transcript';

/** The fields of a v2 `hello` (the message adds `type: 'hello'`). */
export interface HelloFields {
  version: number;
  peerId: string;
  publicKey: Uint8Array;
  nonce: Uint8Array;
}

/** The fields of a v2 `auth` (the message adds `type: 'auth'`). */
export interface AuthFields {
  signature: Uint8Array;
  /** Present exactly when the sender holds a shared secret. */
  mac?: Uint8Array;
}

/** The other side, once it has proven its ID (and membership, with a secret). */
export interface ProvenPeer {
  peerId: PeerId;
  publicKey: Buffer;
}

export type HandshakeCode =
  | typeof P2P_CODES.version
  | typeof P2P_CODES.peerIdMismatch
  | typeof P2P_CODES.self
  | typeof P2P_CODES.protocol
  | typeof P2P_CODES.auth
  | typeof P2P_CODES.badSignature;

export type HandshakeStep<T> = { ok: true; value: T } | { ok: false; code: HandshakeCode };

export interface HandshakeOptions {
  identity: PeerIdentity;
  role: HandshakeRole;
  /** The swarm's shared secret: membership is then proven and required. */
  secret?: string;
  /** A dialer that dialed a known peer: anyone else answering is refused. */
  expectedPeerId?: PeerId;
  /** Our nonce (tests); a fresh random one by default. */
  nonce?: Uint8Array;
}

/**
 * One side of the v2 handshake, as a pure object: it sends `hello`, reads the other's
 * `hello`, answers with `auth`, and checks the other's `auth`. No I/O and no timers; the
 * caller (the transfer machine) moves messages and enforces the handshake time-out.
 *
 * Security properties kept here:
 * - the other side's ID is *proven*, never declared: its ID must be the fingerprint of the
 *   key it presents, and it must sign our fresh nonce with that key (bans, failures and
 *   duplicate-connection rules may be keyed on {@link ProvenPeer.peerId} only);
 * - with a secret, a peer that cannot MAC the transcript is refused (`ERR_AUTH`) before its
 *   signature is even checked, and before it can announce anything: a v2 `hello` carries
 *   no addresses, files or peers, and nothing else is accepted before `auth` verifies;
 * - our own nonce reflected back to us is refused (`ERR_PROTOCOL`), and so is our own ID
 *   (`ERR_SELF`).
 */
export class Handshake {
  private readonly nonce: Uint8Array;
  private remote: { hello: HelloFields; peerId: PeerId; publicKey: Buffer } | null = null;
  private finished = false;

  constructor(private readonly options: HandshakeOptions) {
    this.nonce = options.nonce ?? createHandshakeNonce();
    if (this.nonce.length !== HANDSHAKE_NONCE_BYTES) throw new RangeError('nonce must be 32 bytes');
  }

  get role(): HandshakeRole {
    return this.options.role;
  }

  /** Our `hello`, sent first on every connection by both sides. */
  hello(): HelloFields {
    const { identity } = this.options;
    return {
      version: P2P_PROTOCOL_VERSION,
      peerId: identity.peerId,
      publicKey: identity.publicKey,
      nonce: this.nonce,
    };
  }

  /** Reads the other's `hello`; on success returns our `auth` to send. */
  receiveHello(hello: HelloFields): HandshakeStep<AuthFields> {
    if (this.remote) return { ok: false, code: P2P_CODES.protocol };
    const own = { peerId: this.options.identity.peerId, nonce: this.nonce };
    const problem = helloProblem(own, hello, this.options.expectedPeerId);
    if (problem) return { ok: false, code: problem };
    this.remote = {
      hello,
      peerId: hello.peerId as PeerId,
      publicKey: Buffer.from(hello.publicKey),
    };
    const { identity, role, secret } = this.options;
    return { ok: true, value: authFor(identity, role, this.transcript(), secret) };
  }

  /** Checks the other's `auth`; on success the other side is proven. */
  receiveAuth(auth: AuthFields): HandshakeStep<ProvenPeer> {
    if (!this.remote || this.finished) return { ok: false, code: P2P_CODES.protocol };
    const theirs: HandshakeRole = this.options.role === 'dialer' ? 'acceptor' : 'dialer';
    const problem = authProblem(
      { role: theirs, publicKey: this.remote.publicKey, secret: this.options.secret },
      this.transcript(),
      auth,
    );
    if (problem) return { ok: false, code: problem };
    this.finished = true;
    return { ok: true, value: { peerId: this.remote.peerId, publicKey: this.remote.publicKey } };
  }

  private transcript(): HandshakeTranscript {
    const remote = this.remote!;
    return transcriptFor(this.options.role, {
      self: this.options.identity.peerId,
      ownNonce: this.nonce,
      remote: remote.peerId,
      remoteNonce: remote.hello.nonce,
    });
  }
}

/**
 * Why a `hello` is refused (in the order of §9.3), or null: an ID that is not its key's
 * fingerprint (or not the peer we dialed) is `ERR_PEER_ID_MISMATCH`, our own nonce reflected
 * is `ERR_PROTOCOL`, our own ID `ERR_SELF`. Pure: the transfer machine asks it as guards.
 */
export function helloProblem(
  own: { peerId: string; nonce: Uint8Array },
  hello: HelloFields,
  expectedPeerId?: string,
): HandshakeCode | null {
  if (hello.version !== P2P_PROTOCOL_VERSION) return P2P_CODES.version;
  if (
    hello.publicKey.length !== PUBLIC_KEY_BYTES ||
    !isPeerId(hello.peerId) ||
    peerIdOf(hello.publicKey) !== hello.peerId
  ) {
    return P2P_CODES.peerIdMismatch;
  }
  if (hello.nonce.length !== HANDSHAKE_NONCE_BYTES || bytesEqual(hello.nonce, own.nonce)) {
    return P2P_CODES.protocol;
  }
  if (hello.peerId === own.peerId) return P2P_CODES.self;
  if (expectedPeerId !== undefined && hello.peerId !== expectedPeerId) {
    return P2P_CODES.peerIdMismatch;
  }
  return null;
}

/** The transcript of one connection, from one side's point of view. */
export function transcriptFor(
  role: HandshakeRole,
  sides: { self: string; ownNonce: Uint8Array; remote: string; remoteNonce: Uint8Array },
): HandshakeTranscript {
  const self = sides.self as PeerId;
  const remote = sides.remote as PeerId;
  return role === 'dialer'
    ? {
        dialerId: self,
        acceptorId: remote,
        dialerNonce: sides.ownNonce,
        acceptorNonce: sides.remoteNonce,
      }
    : {
        dialerId: remote,
        acceptorId: self,
        dialerNonce: sides.remoteNonce,
        acceptorNonce: sides.ownNonce,
      };
}

/** Our `auth` for a transcript: the signature, and the membership MAC with a secret. */
export function authFor(
  identity: PeerIdentity,
  role: HandshakeRole,
  t: HandshakeTranscript,
  secret?: string,
): AuthFields {
  const auth: AuthFields = { signature: signHandshake(identity, role, t) };
  if (secret !== undefined) auth.mac = membershipProof(secret, role, t);
  return auth;
}

/**
 * Why the other's `auth` is refused, or null when it proves the other side: with a secret,
 * the MAC first (`ERR_AUTH`), then the signature with the key of its hello
 * (`ERR_BAD_SIGNATURE`). Pure.
 */
export function authProblem(
  other: { role: HandshakeRole; publicKey: Uint8Array; secret: string | undefined },
  t: HandshakeTranscript,
  auth: AuthFields,
): HandshakeCode | null {
  if (
    other.secret !== undefined &&
    !membershipProofMatches(other.secret, other.role, t, auth.mac)
  ) {
    return P2P_CODES.auth;
  }
  if (!verifyHandshake(other.publicKey, other.role, t, auth.signature)) {
    return P2P_CODES.badSignature;
  }
  return null;
}
