import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { TransportError } from './errors';
import { FRAME_HEADER_BYTES } from './frameDecoder';

/**
 * Per-frame integrity for sessions with a shared secret (docs/protocol.md, section 4.3.2).
 *
 * After the handshake, every frame in both directions carries a 16-byte tag: the first half
 * of HMAC-SHA256 under a key of its direction, over the frame's number in that direction
 * (8 bytes, big-endian, from 0), its 4 length bytes as sent, and its payload. The keys come
 * from HKDF-SHA256 over the secret, salted with both handshake nonces, so each session has its
 * own; the frame number makes a replayed, dropped or reordered frame fail; the two directions'
 * keys differ, so a frame cannot be reflected back to its sender.
 */
export const FRAME_MAC_BYTES = 16;

const INFO_CLIENT_TO_SERVER = 'timeswarm/1 frames client to server';
const INFO_SERVER_TO_CLIENT = 'timeswarm/1 frames server to client';
const KEY_BYTES = 32;

/** The two keys of a session, from one side's point of view. */
export interface FrameKeys {
  /** Seals what this side sends. */
  send: Buffer;
  /** Checks what this side receives. */
  receive: Buffer;
}

/**
 * The session's frame keys: HKDF-SHA256(ikm = the secret as UTF-8, salt = the hello's nonce
 * (none: empty) ‖ the challenge's nonce, info = the direction's label), 32 bytes each.
 */
export function sessionFrameKeys(
  secret: string,
  clientNonce: Uint8Array | undefined,
  serverNonce: Uint8Array,
  side: 'client' | 'server',
): FrameKeys {
  const salt = Buffer.concat([clientNonce ?? new Uint8Array(0), serverNonce]);
  const key = (info: string) => Buffer.from(hkdfSync('sha256', secret, salt, info, KEY_BYTES));
  const up = key(INFO_CLIENT_TO_SERVER);
  const down = key(INFO_SERVER_TO_CLIENT);
  return side === 'client' ? { send: up, receive: down } : { send: down, receive: up };
}

/** A frame that fails its check: forged, altered, replayed, reordered or missing its tag. */
export class FrameAuthError extends TransportError {
  override name = 'FrameAuthError';
  constructor(message: string) {
    super(message, 'ERR_AUTH');
  }
}

function tag(key: Buffer, counter: bigint, lengthPrefix: Buffer, payload: Uint8Array): Buffer {
  const number = Buffer.allocUnsafe(8);
  number.writeBigUInt64BE(counter, 0);
  return createHmac('sha256', key)
    .update(number)
    .update(lengthPrefix)
    .update(payload)
    .digest()
    .subarray(0, FRAME_MAC_BYTES);
}

/** Seals frames in order: each gets the tag of its number. */
export function frameSealer(key: Buffer): (frame: Buffer) => Buffer {
  let counter = 0n;
  return (frame) => {
    const payload = frame.subarray(FRAME_HEADER_BYTES);
    const sealed = Buffer.allocUnsafe(frame.length + FRAME_MAC_BYTES);
    sealed.writeUInt32BE(payload.length + FRAME_MAC_BYTES, 0);
    payload.copy(sealed, FRAME_HEADER_BYTES);
    const mac = tag(key, counter, sealed.subarray(0, FRAME_HEADER_BYTES), payload);
    mac.copy(sealed, FRAME_HEADER_BYTES + payload.length);
    counter += 1n;
    return sealed;
  };
}

/**
 * Checks frames in order: takes a frame's payload as received (tag included) and returns it
 * without the tag, or throws {@link FrameAuthError}.
 */
export function frameOpener(key: Buffer): (received: Buffer) => Buffer {
  let counter = 0n;
  const prefix = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  return (received) => {
    if (received.length < FRAME_MAC_BYTES)
      throw new FrameAuthError(`frame ${counter} is too short to carry its tag`);
    const payload = received.subarray(0, received.length - FRAME_MAC_BYTES);
    prefix.writeUInt32BE(received.length, 0);
    const expected = tag(key, counter, prefix, payload);
    if (!timingSafeEqual(expected, received.subarray(payload.length)))
      throw new FrameAuthError(`frame ${counter} failed its integrity check`);
    counter += 1n;
    return payload;
  };
}
