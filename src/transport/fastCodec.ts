/**
 * The data path's frames, encoded and decoded by hand.
 *
 * A tick (28 bytes, 33–37 with its `ack`) and its reply (53 bytes) are most of what crosses a session, and they cross
 * it in a process that sleeps between them: every instruction between the socket and the stamp
 * runs cold (see BENCHMARKS.md, "Where the round trip goes"). msgpackr's general machinery cost
 * 30–40 µs per frame there; these few lines cost a few. The bytes are exactly msgpackr's
 * (`useRecords: false`): the same map, keys in the same order, integers below 2^32 in their
 * smallest unsigned form and every other number as float64 (docs/protocol.md, section 3), so
 * the wire does not change. Anything else goes through msgpackr: {@link fastDecode} returns
 * `undefined` for what it does not know and its caller falls back; test/transport/fastCodec.test.ts
 * holds both directions to msgpackr's bytes and values.
 */
import { FRAME_HEADER_BYTES } from './frameDecoder';

/** Bytes a number takes: 1, 2, 3, 5 (unsigned integers below 2^32) or 9 (float64). */
function numberBytes(v: number): number {
  if (Number.isInteger(v) && v >= 0 && v < 0x1_0000_0000) {
    if (v < 0x80) return 1;
    if (v < 0x100) return 2;
    if (v < 0x1_0000) return 3;
    return 5;
  }
  return 9;
}

function writeNumber(out: Buffer, at: number, v: number): number {
  if (Number.isInteger(v) && v >= 0 && v < 0x1_0000_0000) {
    if (v < 0x80) {
      out[at] = v;
      return at + 1;
    }
    if (v < 0x100) {
      out[at] = 0xcc;
      out[at + 1] = v;
      return at + 2;
    }
    if (v < 0x1_0000) {
      out[at] = 0xcd;
      out.writeUInt16BE(v, at + 1);
      return at + 3;
    }
    out[at] = 0xce;
    out.writeUInt32BE(v, at + 1);
    return at + 5;
  }
  out[at] = 0xcb;
  out.writeDoubleBE(v, at + 1);
  return at + 9;
}

// fixmap headers and the fixstr keys and type values, as msgpackr writes them.
const TICK_HEAD = Buffer.from('83a474797065a47469636ba3736571', 'hex'); // {type:'tick',seq:
const REPLY_HEAD = Buffer.from('85a474797065a57265706c79a3736571', 'hex'); // {type:'reply',seq:
const KEY_T1 = Buffer.from('a27431', 'hex');
const KEY_T2 = Buffer.from('a27432', 'hex');
const KEY_T3 = Buffer.from('a27433', 'hex');
const KEY_ACK = Buffer.from('a361636b', 'hex');
const FIXMAP_4 = 0x84;

/**
 * A whole tick frame (length prefix and msgpack payload) for `{ type: 'tick', seq, t1 }`, or
 * with `ack`, for `{ type: 'tick', seq, t1, ack }` (keys in that order).
 */
export function encodeTickFrame(seq: number, t1: number, ack?: number): Buffer {
  const length =
    TICK_HEAD.length +
    numberBytes(seq) +
    KEY_T1.length +
    numberBytes(t1) +
    (ack === undefined ? 0 : KEY_ACK.length + numberBytes(ack));
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
  out.writeUInt32BE(length, 0);
  let at = FRAME_HEADER_BYTES;
  at += TICK_HEAD.copy(out, at);
  if (ack !== undefined) out[FRAME_HEADER_BYTES] = FIXMAP_4;
  at = writeNumber(out, at, seq);
  at += KEY_T1.copy(out, at);
  at = writeNumber(out, at, t1);
  if (ack !== undefined) {
    at += KEY_ACK.copy(out, at);
    writeNumber(out, at, ack);
  }
  return out;
}

/** A whole reply frame for `{ type: 'reply', seq, t1, t2, t3 }`. */
export function encodeReplyFrame(seq: number, t1: number, t2: number, t3: number): Buffer {
  const length =
    REPLY_HEAD.length +
    numberBytes(seq) +
    3 * KEY_T1.length +
    numberBytes(t1) +
    numberBytes(t2) +
    numberBytes(t3);
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
  out.writeUInt32BE(length, 0);
  let at = FRAME_HEADER_BYTES;
  at += REPLY_HEAD.copy(out, at);
  at = writeNumber(out, at, seq);
  at += KEY_T1.copy(out, at);
  at = writeNumber(out, at, t1);
  at += KEY_T2.copy(out, at);
  at = writeNumber(out, at, t2);
  at += KEY_T3.copy(out, at);
  writeNumber(out, at, t3);
  return out;
}

/** Encodes a tick or a reply by hand, anything else not at all (`null`: use msgpackr). */
export function fastEncodeFrame(message: unknown): Buffer | null {
  const m = message as {
    type?: unknown;
    seq: number;
    t1: number;
    t2: number;
    t3: number;
    ack?: unknown;
  };
  if (m === null || typeof m !== 'object') return null;
  // Only the exact shapes, keys in msgpackr's order (the object's): an extra key must not be
  // dropped from what msgpackr would send, nor a key moved.
  const keys = Object.keys(m);
  if (m.type === 'tick' && isNum(m.seq) && isNum(m.t1) && inOrder(keys, TICK_KEYS)) {
    if (keys.length === 3) return encodeTickFrame(m.seq, m.t1);
    if (keys.length === 4 && keys[3] === 'ack' && isNum(m.ack))
      return encodeTickFrame(m.seq, m.t1, m.ack);
    return null;
  }
  if (
    m.type === 'reply' &&
    keys.length === 5 &&
    inOrder(keys, REPLY_KEYS) &&
    isNum(m.seq) &&
    isNum(m.t1) &&
    isNum(m.t2) &&
    isNum(m.t3)
  )
    return encodeReplyFrame(m.seq, m.t1, m.t2, m.t3);
  return null;
}

const TICK_KEYS = ['type', 'seq', 't1'];
const REPLY_KEYS = ['type', 'seq', 't1', 't2', 't3'];
/** `keys` starts with `expected`, in that order. */
const inOrder = (keys: string[], expected: string[]): boolean =>
  expected.every((key, i) => keys[i] === key);

/** The protocol's numbers (non-negative integers up to 2^53 − 1); anything else goes to msgpackr. */
const isNum = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Decodes a payload that is one msgpack map of at most 15 entries whose keys are short
 * strings (fixstr, ASCII) and whose values are short ASCII strings, unsigned integers or
 * float64: every tick and reply. Returns `undefined` for anything else (the caller then asks
 * msgpackr, which decides, and refuses what is malformed). Never throws, never reads out of
 * bounds; the map must end exactly at the end of the payload.
 */
export function fastDecode(p: Uint8Array): Record<string, unknown> | undefined {
  const end = p.length;
  if (end === 0) return undefined;
  const head = p[0]!;
  if (head < 0x80 || head > 0x8f) return undefined;
  const entries = head & 0x0f;
  const out: Record<string, unknown> = {};
  let at = 1;
  for (let i = 0; i < entries; i += 1) {
    if (at >= end) return undefined;
    const keyHead = p[at]!;
    if (keyHead < 0xa0 || keyHead > 0xbf) return undefined;
    const keyLength = keyHead & 0x1f;
    at += 1;
    if (at + keyLength > end) return undefined;
    const key = ascii(p, at, keyLength);
    if (key === null || key === '__proto__') return undefined;
    at += keyLength;
    if (at >= end) return undefined;
    const t = p[at]!;
    let value: unknown;
    if (t < 0x80) {
      value = t;
      at += 1;
    } else if (t >= 0xa0 && t <= 0xbf) {
      const n = t & 0x1f;
      if (at + 1 + n > end) return undefined;
      value = ascii(p, at + 1, n);
      if (value === null) return undefined;
      at += 1 + n;
    } else if (t === 0xcc) {
      if (at + 2 > end) return undefined;
      value = p[at + 1];
      at += 2;
    } else if (t === 0xcd) {
      if (at + 3 > end) return undefined;
      value = (p[at + 1]! << 8) | p[at + 2]!;
      at += 3;
    } else if (t === 0xce) {
      if (at + 5 > end) return undefined;
      value = ((p[at + 1]! << 24) >>> 0) + ((p[at + 2]! << 16) | (p[at + 3]! << 8) | p[at + 4]!);
      at += 5;
    } else if (t === 0xcb) {
      if (at + 9 > end) return undefined;
      value = new DataView(p.buffer, p.byteOffset + at + 1, 8).getFloat64(0);
      at += 9;
    } else return undefined;
    out[key] = value;
  }
  return at === end ? out : undefined;
}

/** A short printable-ASCII string, or null (anything else goes to msgpackr, which knows UTF-8). */
function ascii(p: Uint8Array, at: number, n: number): string | null {
  let s = '';
  for (let i = 0; i < n; i += 1) {
    const c = p[at + i]!;
    if (c < 0x20 || c > 0x7e) return null;
    s += String.fromCharCode(c);
  }
  return s;
}
