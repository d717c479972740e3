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

/** The tag of `input` = N ‖ L ‖ P, laid out contiguously by the caller: one call into OpenSSL. */
function tag(key: Buffer, input: Buffer): Buffer {
  return createHmac('sha256', key).update(input).digest().subarray(0, FRAME_MAC_BYTES);
}

/** Seals frames in order: each gets the tag of its number. */
export function frameSealer(key: Buffer): (frame: Buffer) => Buffer {
  let counter = 0n;
  return (frame) => {
    const payloadBytes = frame.length - FRAME_HEADER_BYTES;
    // N ‖ L ‖ P ‖ tag in one buffer; the frame sent is L ‖ P ‖ tag, a view past N.
    const out = Buffer.allocUnsafe(8 + frame.length + FRAME_MAC_BYTES);
    out.writeBigUInt64BE(counter, 0);
    out.writeUInt32BE(payloadBytes + FRAME_MAC_BYTES, 8);
    frame.copy(out, 8 + FRAME_HEADER_BYTES, FRAME_HEADER_BYTES);
    tag(key, out.subarray(0, 8 + frame.length)).copy(out, 8 + frame.length);
    counter += 1n;
    return out.subarray(8);
  };
}

/**
 * Checks frames in order: takes a frame's payload as received (tag included) and returns it
 * without the tag, or throws {@link FrameAuthError}.
 */
export function frameOpener(key: Buffer): (received: Buffer) => Buffer {
  let counter = 0n;
  return (received) => {
    if (received.length < FRAME_MAC_BYTES)
      throw new FrameAuthError(`frame ${counter} is too short to carry its tag`);
    const payloadBytes = received.length - FRAME_MAC_BYTES;
    const input = Buffer.allocUnsafe(8 + FRAME_HEADER_BYTES + payloadBytes);
    input.writeBigUInt64BE(counter, 0);
    input.writeUInt32BE(received.length, 8);
    received.copy(input, 8 + FRAME_HEADER_BYTES, 0, payloadBytes);
    if (!timingSafeEqual(tag(key, input), received.subarray(payloadBytes)))
      throw new FrameAuthError(`frame ${counter} failed its integrity check`);
    counter += 1n;
    return received.subarray(0, payloadBytes);
  };
}
