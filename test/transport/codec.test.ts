import fc from 'fast-check';
import {
  type ClientMessage,
  DecodeError,
  decodePayload,
  encodeFrame,
  FRAME_HEADER_BYTES,
  InvalidMessageError,
  parseClientMessage,
  parserFor,
  parseServerMessage,
  SESSION_PROTOCOL_VERSION,
  type ServerMessage,
  serverMessageSchema,
  TransportError,
} from '../../src/transport';

// ---------------------------------------------------------------------------------------------
// Arbitraries that match the zod schemas in src/transport/sessionProtocol.ts.

const micros = fc.oneof(
  fc.integer({ min: 1_600_000_000_000_000, max: 2_100_000_000_000_000 }), // realistic wall clocks
  fc.maxSafeNat(),
  fc.constantFrom(0, 1, 0xffff_ffff, 0x1_0000_0000, Number.MAX_SAFE_INTEGER),
);
const seq = fc.oneof(fc.integer({ min: 0, max: 0xffff_ffff }), fc.constantFrom(0, 0xffff_ffff));
const clientId = fc.integer({ min: 1, max: 1_000_000 });
const version = fc.integer({ min: 1, max: 0xffff });
/** zod's `.max(n)` counts UTF-16 code units; any Unicode text up to that length. */
const text = (max: number) =>
  fc.string({ unit: 'binary', maxLength: max }).filter((s) => s.length <= max);
const reason = text(500);

const hello = fc.record(
  {
    type: fc.constant('hello' as const),
    version,
    clientId,
    intervalMs: fc.oneof(
      fc.double({ min: 0.001, max: 3_600_000, noNaN: true }),
      fc.integer({ min: 1, max: 3_600_000 }),
    ),
  },
  { requiredKeys: ['type', 'version', 'intervalMs'], noNullPrototype: true },
);
const tick = fc.record(
  { type: fc.constant('tick' as const), seq, t1: micros },
  { noNullPrototype: true },
);
const bye = fc.record({ type: fc.constant('bye' as const), reason }, { noNullPrototype: true });
const welcome = fc.record(
  { type: fc.constant('welcome' as const), version, clientId, serverTime: micros },
  { noNullPrototype: true },
);
const reply = fc.record(
  { type: fc.constant('reply' as const), seq, t1: micros, t2: micros, t3: micros },
  { noNullPrototype: true },
);
const refused = fc.record(
  { type: fc.constant('refused' as const), code: text(64), reason },
  { noNullPrototype: true },
);

const clientMessage: fc.Arbitrary<ClientMessage> = fc.oneof(hello, tick, bye);
const serverMessage: fc.Arbitrary<ServerMessage> = fc.oneof(welcome, reply, refused, bye);

/** What the receiving side of a connection does with one frame's payload. */
const payloadOf = (message: unknown) => encodeFrame(message).subarray(FRAME_HEADER_BYTES);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TransportError);
    return (error as TransportError).code;
  }
  return 'no error';
}

// ---------------------------------------------------------------------------------------------
// A few msgpack encodings written by hand, as another language's library might produce them.

const mp = {
  map: (n: number) => Buffer.from([0x80 | n]),
  str(s: string) {
    const b = Buffer.from(s, 'utf8');
    return Buffer.concat([
      b.length < 32 ? Buffer.from([0xa0 | b.length]) : Buffer.from([0xd9, b.length]),
      b,
    ]);
  },
  fixint: (n: number) => Buffer.from([n]),
  u8: (n: number) => Buffer.from([0xcc, n]),
  u16: (n: number) => Buffer.from([0xcd, n >> 8, n & 0xff]),
  u32: (n: number) => withHeader(0xce, 4, (b) => b.writeUInt32BE(n, 1)),
  u64: (n: number) => withHeader(0xcf, 8, (b) => b.writeBigUInt64BE(BigInt(n), 1)),
  i8: (n: number) => withHeader(0xd0, 1, (b) => b.writeInt8(n, 1)),
  i16: (n: number) => withHeader(0xd1, 2, (b) => b.writeInt16BE(n, 1)),
  i32: (n: number) => withHeader(0xd2, 4, (b) => b.writeInt32BE(n, 1)),
  i64: (n: number) => withHeader(0xd3, 8, (b) => b.writeBigInt64BE(BigInt(n), 1)),
  f32: (n: number) => withHeader(0xca, 4, (b) => b.writeFloatBE(n, 1)),
  f64: (n: number) => withHeader(0xcb, 8, (b) => b.writeDoubleBE(n, 1)),
};
function withHeader(type: number, size: number, write: (b: Buffer) => void): Buffer {
  const b = Buffer.alloc(1 + size);
  b[0] = type;
  write(b);
  return b;
}
const tickBytes = (seqBytes: Buffer, t1Bytes: Buffer) =>
  Buffer.concat([
    mp.map(3),
    mp.str('type'),
    mp.str('tick'),
    mp.str('seq'),
    seqBytes,
    mp.str('t1'),
    t1Bytes,
  ]);

describe('codec round trip', () => {
  it('decodePayload(encode(m)) deep-equals m for every client message', () => {
    fc.assert(
      fc.property(clientMessage, (message) => {
        const frame = encodeFrame(message);
        expect(frame.readUInt32BE(0)).toBe(frame.length - FRAME_HEADER_BYTES);
        const decoded = decodePayload(frame.subarray(FRAME_HEADER_BYTES));
        expect(decoded).toStrictEqual(message);
        expect(parseClientMessage(decoded)).toStrictEqual(message);
      }),
      { numRuns: 300 },
    );
  });

  it('decodePayload(encode(m)) deep-equals m for every server message', () => {
    fc.assert(
      fc.property(serverMessage, (message) => {
        const decoded = decodePayload(payloadOf(message));
        expect(decoded).toStrictEqual(message);
        expect(parseServerMessage(decoded)).toStrictEqual(message);
      }),
      { numRuns: 300 },
    );
  });

  it('covers each message type and the protocol version', () => {
    expect(SESSION_PROTOCOL_VERSION).toBe(1);
    const samples: unknown[] = [
      { type: 'hello', version: 1, intervalMs: 10 },
      { type: 'hello', version: 1, clientId: 3, intervalMs: 0.5 },
      { type: 'tick', seq: 0, t1: 1_795_479_133_123_456 },
      { type: 'bye', reason: '' },
    ];
    for (const m of samples)
      expect(parseClientMessage(decodePayload(payloadOf(m)))).toStrictEqual(m);
    const replies: unknown[] = [
      { type: 'welcome', version: 1, clientId: 1_000_000, serverTime: 1 },
      { type: 'reply', seq: 0xffff_ffff, t1: 1, t2: 2, t3: Number.MAX_SAFE_INTEGER },
      { type: 'refused', code: 'ERR_ID_IN_USE', reason: 'client ID 3 is in use' },
      { type: 'bye', reason: 'server shutting down' },
    ];
    for (const m of replies)
      expect(parseServerMessage(decodePayload(payloadOf(m)))).toStrictEqual(m);
  });

  it('writes plain msgpack maps (no record extension), large integers as float64', () => {
    const payload = payloadOf({ type: 'tick', seq: 42, t1: 1_795_479_133_123_456 });
    expect(payload[0]).toBe(0x83); // fixmap of 3 entries
    expect(payload.includes(0xc7)).toBe(false); // no ext 8 (msgpackr records)
    const t1At = payload.indexOf(mp.str('t1')) + 3;
    expect(payload[t1At]).toBe(0xcb);
    expect(payload.readDoubleBE(t1At + 1)).toBe(1_795_479_133_123_456);
  });

  it('accepts every msgpack integer encoding (and integral floats) for integer fields', () => {
    const t1 = 1_795_479_133_123_456;
    const expected = { type: 'tick', seq: 42, t1 };
    const seqForms = [
      mp.fixint(42),
      mp.u8(42),
      mp.u16(42),
      mp.u32(42),
      mp.u64(42),
      mp.i8(42),
      mp.i16(42),
    ];
    const moreSeqForms = [mp.i32(42), mp.i64(42), mp.f32(42), mp.f64(42)];
    for (const seqBytes of [...seqForms, ...moreSeqForms]) {
      for (const t1Bytes of [mp.u64(t1), mp.i64(t1), mp.f64(t1)]) {
        expect(parseClientMessage(decodePayload(tickBytes(seqBytes, t1Bytes)))).toStrictEqual(
          expected,
        );
      }
    }
  });

  it('does not depend on key order', () => {
    const bytes = Buffer.concat([
      mp.map(3),
      mp.str('t1'),
      mp.u32(7),
      mp.str('seq'),
      mp.fixint(1),
      mp.str('type'),
      mp.str('tick'),
    ]);
    expect(parseClientMessage(decodePayload(bytes))).toStrictEqual({ type: 'tick', seq: 1, t1: 7 });
  });

  it('ignores unknown keys and drops them from the parsed message', () => {
    const decoded = decodePayload(
      payloadOf({ type: 'bye', reason: 'done', extra: 'x'.repeat(1000), n: 1 }),
    );
    expect(parseClientMessage(decoded)).toStrictEqual({ type: 'bye', reason: 'done' });
  });

  it('cannot be used to pollute prototypes with a __proto__ key', () => {
    const bytes = Buffer.concat([
      mp.map(3),
      mp.str('type'),
      mp.str('bye'),
      mp.str('reason'),
      mp.str('x'),
      mp.str('__proto__'),
      mp.map(1),
      mp.str('polluted'),
      mp.str('yes'),
    ]);
    const message = parseClientMessage(decodePayload(bytes));
    expect(message).toStrictEqual({ type: 'bye', reason: 'x' });
    expect(Object.getPrototypeOf(message)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((message as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('docs/protocol.md stays true', () => {
  const fromHex = (hex: string) => Buffer.from(hex.replace(/\s+/g, ''), 'hex');
  const t1 = 1_795_479_133_123_456;

  it('section 6: the tick, reply and hello frames are byte for byte what we send', () => {
    expect(encodeFrame({ type: 'tick', seq: 42, t1 })).toEqual(
      fromHex(
        '00 00 00 1c 83 a4 74 79 70 65 a4 74 69 63 6b a3 73 65 71 2a a2 74 31 cb 43 19 83 ea 3f b9 ce 00',
      ),
    );
    expect(encodeFrame({ type: 'tick', seq: 42, t1, ack: 5 }).subarray(4)).toEqual(
      Buffer.concat([
        fromHex('84'),
        encodeFrame({ type: 'tick', seq: 42, t1 }).subarray(5),
        fromHex('a3 61 63 6b 05'),
      ]),
    );
    expect(encodeFrame({ type: 'reply', seq: 42, t1, t2: t1 + 150, t3: t1 + 162 })).toEqual(
      fromHex(`00 00 00 35 85 a4 74 79 70 65 a5 72 65 70 6c 79 a3 73 65 71 2a a2 74 31 cb 43 19 83 ea 3f b9 ce
        00 a2 74 32 cb 43 19 83 ea 3f b9 d0 58 a2 74 33 cb 43 19 83 ea 3f b9 d0 88`),
    );
    expect(encodeFrame({ type: 'hello', version: 1, clientId: 2, intervalMs: 10 })).toEqual(
      fromHex(`00 00 00 2b 84 a4 74 79 70 65 a5 68 65 6c 6c 6f a7 76 65 72 73 69 6f 6e 01 a8 63 6c 69 65 6e 74
        49 64 02 aa 69 6e 74 65 72 76 61 6c 4d 73 0a`),
    );
    expect(payloadOf({ intervalMs: 0.5 }).subarray(-9)).toEqual(
      fromHex('cb 3f e0 00 00 00 00 00 00'),
    );
  });

  it('section 6: the uint64 variant of the tick decodes to the same message', () => {
    const frame = fromHex(
      '00 00 00 1c 83 a4 74 79 70 65 a4 74 69 63 6b a3 73 65 71 2a a2 74 31 cf 00 06 60 fa 8f ee 73 80',
    );
    expect(frame.readUInt32BE(0)).toBe(frame.length - FRAME_HEADER_BYTES);
    expect(parseClientMessage(decodePayload(frame.subarray(FRAME_HEADER_BYTES)))).toStrictEqual({
      type: 'tick',
      seq: 42,
      t1,
    });
  });

  it('section 3: integers in -2^31..2^32-1 use integer formats, all others float64', () => {
    const firstByte = (v: number) => payloadOf(v)[0];
    expect(firstByte(127)).toBe(0x7f);
    expect(firstByte(255)).toBe(0xcc);
    expect(firstByte(65_535)).toBe(0xcd);
    expect(firstByte(0xffff_ffff)).toBe(0xce);
    expect(firstByte(2 ** 32)).toBe(0xcb);
    expect(firstByte(Number.MAX_SAFE_INTEGER)).toBe(0xcb);
    expect(firstByte(-32)).toBe(0xe0);
    expect(firstByte(-128)).toBe(0xd0);
    expect(firstByte(-32_768)).toBe(0xd1);
    expect(firstByte(-(2 ** 31))).toBe(0xd2);
    expect(firstByte(-(2 ** 31) - 1)).toBe(0xcb);
    expect(firstByte(0.5)).toBe(0xcb);
  });

  it('section 2.3: the never-used byte 0xc1 is refused (as an invalid message)', () => {
    expect(codeOf(() => parseClientMessage(decodePayload(Buffer.from([0xc1]))))).toBe(
      'ERR_INVALID_MESSAGE',
    );
    const bye = Buffer.concat([
      mp.map(2),
      mp.str('type'),
      mp.str('bye'),
      mp.str('reason'),
      Buffer.from([0xc1]),
    ]);
    expect(codeOf(() => parseClientMessage(decodePayload(bye)))).toBe('ERR_INVALID_MESSAGE');
  });

  it('section 3: nil for an optional field is invalid, omitting it is fine', () => {
    const withNil = Buffer.concat([
      mp.map(4),
      mp.str('type'),
      mp.str('hello'),
      mp.str('version'),
      mp.fixint(1),
      mp.str('clientId'),
      Buffer.from([0xc0]),
      mp.str('intervalMs'),
      mp.fixint(10),
    ]);
    expect(codeOf(() => parseClientMessage(decodePayload(withNil)))).toBe('ERR_INVALID_MESSAGE');
  });
});

describe('decodePayload errors', () => {
  it.each([
    ['an empty payload', ''],
    ['a truncated array', '9201'],
    ['a truncated string', 'a56865'],
    ['a str8 header alone', 'd9'],
    ['a truncated float64', 'cb4019'],
    ['an array32 announcing 2^32-1 items', 'ddffffffff'],
    ['a map32 announcing 2^32-1 pairs', 'dfffffffff'],
    ['a str32 announcing 4 GiB', 'dbffffffff61'],
    ['msgpackr record extension', 'd47200'],
    ['msgpackr record extension (ext 8)', 'c7047201020304'],
  ])('%s is ERR_DECODE', (_name, hex) => {
    const error = (() => {
      try {
        decodePayload(Buffer.from(hex, 'hex'));
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(DecodeError);
    expect(error).toMatchObject({ code: 'ERR_DECODE', name: 'DecodeError' });
  });

  it('trailing bytes after one value are ERR_DECODE', () => {
    const payload = payloadOf({ type: 'bye', reason: 'x' });
    expect(codeOf(() => decodePayload(Buffer.concat([payload, Buffer.from([0x00])])))).toBe(
      'ERR_DECODE',
    );
    expect(codeOf(() => decodePayload(Buffer.concat([payload, payload])))).toBe('ERR_DECODE');
    expect(codeOf(() => decodePayload(Buffer.concat([payload, Buffer.from([0xc0])])))).toBe(
      'ERR_DECODE',
    );
  });

  it('very deep nesting is ERR_DECODE, not a stack overflow escaping', () => {
    const deep = Buffer.concat([Buffer.alloc(100_000, 0x91), Buffer.from([0xc0])]);
    expect(codeOf(() => decodePayload(deep))).toBe('ERR_DECODE');
  });

  it('random bytes: ERR_DECODE, or a value that the parsers accept or refuse with ERR_INVALID_MESSAGE', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        let value: unknown;
        try {
          value = decodePayload(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
          return;
        }
        for (const parse of [parseClientMessage, parseServerMessage]) {
          try {
            parse(value);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidMessageError);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('mutated valid frames never crash decoding or parsing with anything but a TransportError', () => {
    fc.assert(
      fc.property(
        clientMessage,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (message, edits) => {
          const bytes = Buffer.from(payloadOf(message));
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          try {
            parseClientMessage(decodePayload(bytes));
          } catch (error) {
            expect(error).toBeInstanceOf(TransportError);
            expect(['ERR_DECODE', 'ERR_INVALID_MESSAGE']).toContain((error as TransportError).code);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('schema validation', () => {
  const big = 'x'.repeat(100_000);
  const t1 = 1_795_479_133_123_456;

  const badClient: Array<[string, unknown]> = [
    ['nil', null],
    ['a number', 42],
    ['a string', 'tick'],
    ['an array', [{ type: 'tick', seq: 1, t1 }]],
    ['an empty map', {}],
    ['an unknown type', { type: 'ping' }],
    ['a type that is not a string', { type: 1, seq: 1, t1 }],
    ['a server message', { type: 'reply', seq: 1, t1, t2: t1, t3: t1 }],
    ['a welcome', { type: 'welcome', version: 1, clientId: 1, serverTime: t1 }],
    ['tick without t1', { type: 'tick', seq: 1 }],
    ['tick without seq', { type: 'tick', t1 }],
    ['tick with negative seq', { type: 'tick', seq: -1, t1 }],
    ['tick with fractional seq', { type: 'tick', seq: 1.5, t1 }],
    ['tick with seq above 2^32-1', { type: 'tick', seq: 2 ** 32, t1 }],
    ['tick with seq as a string', { type: 'tick', seq: '1', t1 }],
    ['tick with fractional t1', { type: 'tick', seq: 1, t1: t1 + 0.5 }],
    ['tick with negative t1', { type: 'tick', seq: 1, t1: -1 }],
    ['tick with t1 above 2^53-1', { type: 'tick', seq: 1, t1: 2 ** 53 }],
    ['tick with NaN t1', { type: 'tick', seq: 1, t1: Number.NaN }],
    ['tick with infinite t1', { type: 'tick', seq: 1, t1: Number.POSITIVE_INFINITY }],
    [
      'tick with t1 as a msgpack timestamp',
      { type: 'tick', seq: 1, t1: new Date(1_795_479_133_123) },
    ],
    ['tick with t1 as a string', { type: 'tick', seq: 1, t1: String(t1) }],
    ['tick with t1 nil', { type: 'tick', seq: 1, t1: null }],
    ['hello without version', { type: 'hello', intervalMs: 10 }],
    ['hello without intervalMs', { type: 'hello', version: 1 }],
    ['hello with version 0', { type: 'hello', version: 0, intervalMs: 10 }],
    ['hello with version 2^16', { type: 'hello', version: 0x10000, intervalMs: 10 }],
    ['hello with fractional version', { type: 'hello', version: 1.5, intervalMs: 10 }],
    ['hello with intervalMs 0', { type: 'hello', version: 1, intervalMs: 0 }],
    ['hello with negative intervalMs', { type: 'hello', version: 1, intervalMs: -10 }],
    ['hello with intervalMs above an hour', { type: 'hello', version: 1, intervalMs: 3_600_001 }],
    ['hello with clientId 0', { type: 'hello', version: 1, clientId: 0, intervalMs: 10 }],
    [
      'hello with clientId above 10^6',
      { type: 'hello', version: 1, clientId: 1_000_001, intervalMs: 10 },
    ],
    ['hello with clientId nil', { type: 'hello', version: 1, clientId: null, intervalMs: 10 }],
    ['bye without reason', { type: 'bye' }],
    ['bye with a numeric reason', { type: 'bye', reason: 1 }],
    ['bye with a binary reason', { type: 'bye', reason: Buffer.from('x') }],
    ['bye with a 501-character reason', { type: 'bye', reason: 'x'.repeat(501) }],
    ['bye with a huge reason', { type: 'bye', reason: big }],
  ];

  it.each(badClient)('client parser refuses %s with ERR_INVALID_MESSAGE', (_name, value) => {
    const decoded = decodePayload(payloadOf(value));
    let caught: unknown;
    try {
      parseClientMessage(decoded);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidMessageError);
    expect(caught).toMatchObject({ code: 'ERR_INVALID_MESSAGE', name: 'InvalidMessageError' });
  });

  const badServer: Array<[string, unknown]> = [
    ['a hello', { type: 'hello', version: 1, intervalMs: 10 }],
    ['a tick', { type: 'tick', seq: 1, t1 }],
    ['welcome without clientId', { type: 'welcome', version: 1, serverTime: t1 }],
    ['welcome without serverTime', { type: 'welcome', version: 1, clientId: 1 }],
    ['welcome with clientId 0', { type: 'welcome', version: 1, clientId: 0, serverTime: t1 }],
    [
      'welcome with fractional serverTime',
      { type: 'welcome', version: 1, clientId: 1, serverTime: 0.5 },
    ],
    ['reply without t2', { type: 'reply', seq: 1, t1, t3: t1 }],
    ['reply with negative t3', { type: 'reply', seq: 1, t1, t2: t1, t3: -5 }],
    ['reply with fractional t2', { type: 'reply', seq: 1, t1, t2: t1 + 0.25, t3: t1 }],
    ['reply with negative seq', { type: 'reply', seq: -1, t1, t2: t1, t3: t1 }],
    ['refused without code', { type: 'refused', reason: 'no' }],
    ['refused with a 65-character code', { type: 'refused', code: 'E'.repeat(65), reason: 'no' }],
    ['refused with a huge reason', { type: 'refused', code: 'ERR_X', reason: big }],
    ['bye with a huge reason', { type: 'bye', reason: big }],
  ];

  it.each(badServer)('server parser refuses %s with ERR_INVALID_MESSAGE', (_name, value) => {
    expect(codeOf(() => parseServerMessage(decodePayload(payloadOf(value))))).toBe(
      'ERR_INVALID_MESSAGE',
    );
  });

  it('any seq outside 0..2^32-1 or not an integer is refused', () => {
    const badSeq = fc.oneof(
      fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -1 }),
      fc.integer({ min: 2 ** 32, max: Number.MAX_SAFE_INTEGER }),
      fc.double({ noInteger: true }),
    );
    fc.assert(
      fc.property(badSeq, micros, (s, t) => {
        const value = decodePayload(payloadOf({ type: 'tick', seq: s, t1: t }));
        expect(codeOf(() => parseClientMessage(value))).toBe('ERR_INVALID_MESSAGE');
      }),
    );
  });

  it('any time that is negative, fractional or above 2^53-1 is refused', () => {
    const badMicros = fc.oneof(
      fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -1 }),
      fc.double({ min: 2 ** 53, noNaN: true }),
      fc.double({ noInteger: true }),
    );
    fc.assert(
      fc.property(seq, badMicros, (s, t) => {
        const value = decodePayload(payloadOf({ type: 'reply', seq: s, t1: t, t2: 1, t3: 1 }));
        expect(codeOf(() => parseServerMessage(value))).toBe('ERR_INVALID_MESSAGE');
      }),
    );
  });

  it('parserFor turns any schema failure into InvalidMessageError', () => {
    const parse = parserFor(serverMessageSchema);
    expect(codeOf(() => parse(undefined))).toBe('ERR_INVALID_MESSAGE');
    expect(parse({ type: 'bye', reason: 'ok' })).toStrictEqual({ type: 'bye', reason: 'ok' });
  });
});
