import { Packr, Unpackr } from 'msgpackr';
import { DecodeError } from './errors';
import { fastDecode, fastEncodeFrame } from './fastCodec';
import { frame } from './frameDecoder';

// Plain msgpack maps, no msgpackr record extension, so that any msgpack library can speak
// the protocol. 64-bit integers decode as numbers: every integer we send fits in 2^53.
const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/** Encodes one message as a complete frame (length prefix + msgpack payload). */
export function encodeFrame(message: unknown): Buffer {
  // Ticks and replies by hand (the same bytes), everything else through msgpackr.
  return fastEncodeFrame(message) ?? frame(packr.pack(message));
}

/**
 * Decodes one frame payload into a plain value. The payload must hold exactly one msgpack
 * value: trailing bytes or a truncated value are a {@link DecodeError}.
 */
export function decodePayload(payload: Uint8Array): unknown {
  const fast = fastDecode(payload);
  if (fast !== undefined) return fast;
  let values: unknown[];
  try {
    values = unpackr.unpackMultiple(payload as Buffer) as unknown[];
  } catch (cause) {
    throw new DecodeError('Frame is not valid msgpack', { cause });
  }
  if (values.length !== 1) {
    throw new DecodeError(`Frame holds ${values.length} msgpack values, expected exactly 1`);
  }
  return values[0];
}
