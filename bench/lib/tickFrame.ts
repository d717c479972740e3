/**
 * The load generator's tick frames (bench-only code): one real `tick` frame encoded once,
 * then copied and patched in place per tick (seq as msgpack uint32, t1 as float64), which
 * costs far less than encoding each. Checked at load against the real decoder.
 */
import { performance } from 'node:perf_hooks';
import { decodePayload, encodeFrame } from '../../src/transport';

// A tick frame with a 4-byte seq (msgpack uint32) and a float64 t1, patched in place per tick.
const TEMPLATE = encodeFrame({ type: 'tick', seq: 0x0001_0000, t1: Date.now() * 1000 });
const SEQ_OFFSET = TEMPLATE.indexOf(Buffer.from([0xce, 0x00, 0x01, 0x00, 0x00])) + 1;
const T1_OFFSET = TEMPLATE.length - 8; // msgpack float64 (0xcb + 8 bytes) ends the frame
if (SEQ_OFFSET <= 0 || TEMPLATE[T1_OFFSET - 1] !== 0xcb) {
  throw new Error(`unexpected tick encoding ${TEMPLATE.toString('hex')}`);
}
const wallMicros = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

/** A tick frame for `seq`, stamped with the wall clock now (a copy of the template, patched). */
export function tickFrame(seq: number): Buffer {
  const buf = Buffer.allocUnsafe(TEMPLATE.length);
  TEMPLATE.copy(buf);
  buf.writeUInt32BE(seq, SEQ_OFFSET);
  buf.writeDoubleBE(wallMicros(), T1_OFFSET);
  return buf;
}

// Self-check: the patched frame is what the server's parser accepts.
{
  const frame = tickFrame(7);
  const decoded = decodePayload(frame.subarray(4)) as { type: string; seq: number };
  if (decoded.type !== 'tick' || decoded.seq !== 7)
    throw new Error('tick template does not decode');
}
