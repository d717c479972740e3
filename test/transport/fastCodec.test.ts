import fc from 'fast-check';
import { Packr, Unpackr } from 'msgpackr';
import { fastDecode, fastEncodeFrame } from '../../src/transport/fastCodec';
import { frame } from '../../src/transport/frameDecoder';
import {
  clientMessageSchema,
  fastReply,
  fastTick,
  serverMessageSchema,
} from '../../src/transport/sessionProtocol';

// The reference: msgpackr with the options of src/transport/codec.ts.
const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });
const msgpackrFrame = (message: unknown) => frame(packr.pack(message));
const msgpackrDecode = (payload: Uint8Array): unknown => {
  try {
    const values = unpackr.unpackMultiple(payload as Buffer) as unknown[];
    return values.length === 1 ? values[0] : 'not one value';
  } catch {
    return 'malformed';
  }
};

const micros = fc.oneof(
  fc.integer({ min: 1_600_000_000_000_000, max: 2_100_000_000_000_000 }),
  fc.maxSafeNat(),
  fc.constantFrom(0, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x1_0000, 0xffff_ffff, 0x1_0000_0000),
);
const seq = fc.oneof(fc.integer({ min: 0, max: 0xffff_ffff }), fc.constantFrom(0, 127, 128));
/** Numbers a hostile or foreign peer might put where a tick's fields go. */
const anyNumber = fc.oneof(
  micros,
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  fc.double({ noNaN: false }),
);

describe('hand-made tick and reply frames', () => {
  it('are byte for byte what msgpackr writes', () => {
    fc.assert(
      fc.property(seq, micros, micros, micros, (s, t1, t2, t3) => {
        const tick = { type: 'tick', seq: s, t1 };
        const reply = { type: 'reply', seq: s, t1, t2, t3 };
        expect(fastEncodeFrame(tick)).toEqual(msgpackrFrame(tick));
        expect(fastEncodeFrame(reply)).toEqual(msgpackrFrame(reply));
      }),
      { numRuns: 2000 },
    );
  });

  it('with an ack, are byte for byte what msgpackr writes', () => {
    fc.assert(
      fc.property(seq, micros, seq, (s, t1, ack) => {
        const tick = { type: 'tick', seq: s, t1, ack };
        expect(fastEncodeFrame(tick)).toEqual(msgpackrFrame(tick));
      }),
      { numRuns: 2000 },
    );
  });

  it('for any numbers, are the bytes msgpackr writes or left to msgpackr', () => {
    fc.assert(
      fc.property(anyNumber, anyNumber, anyNumber, (s, t1, ack) => {
        for (const tick of [
          { type: 'tick', seq: s, t1 },
          { type: 'tick', seq: s, t1, ack },
        ]) {
          const bytes = fastEncodeFrame(tick);
          if (bytes !== null) expect(bytes).toEqual(msgpackrFrame(tick));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('leave every other message, and any extra key, to msgpackr', () => {
    expect(fastEncodeFrame({ type: 'bye', reason: 'x' })).toBeNull();
    expect(fastEncodeFrame({ type: 'tick', seq: 1, t1: 2, extra: 3 })).toBeNull();
    expect(fastEncodeFrame({ type: 'reply', seq: 1, t1: 2, t2: 3 })).toBeNull();
    expect(fastEncodeFrame({ type: 'tick', seq: '1', t1: 2 })).toBeNull();
    expect(fastEncodeFrame({ type: 'tick', seq: 1, t1: 2, ack: 3, extra: 4 })).toBeNull();
    expect(fastEncodeFrame({ type: 'tick', seq: 1, t1: 2, ack: -1 })).toBeNull();
    // Keys in another order: msgpackr writes them in that order, so it writes them.
    expect(fastEncodeFrame({ type: 'tick', ack: 3, seq: 1, t1: 2 })).toBeNull();
    expect(fastEncodeFrame({ type: 'tick', t1: 2, seq: 1 })).toBeNull();
    expect(fastEncodeFrame({ seq: 1, type: 'reply', t1: 2, t2: 3, t3: 4 })).toBeNull();
    expect(fastEncodeFrame(null)).toBeNull();
  });
});

describe('fastDecode', () => {
  it('decodes every tick and reply as msgpackr does', () => {
    fc.assert(
      fc.property(seq, micros, micros, micros, (s, t1, t2, t3) => {
        for (const message of [
          { type: 'tick', seq: s, t1 },
          { type: 'tick', seq: s, t1, ack: t2 % 0x1_0000_0000 },
          { type: 'reply', seq: s, t1, t2, t3 },
        ]) {
          const payload = packr.pack(message);
          expect(fastDecode(payload)).toEqual(msgpackrDecode(payload));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('on any bytes: either gives up or agrees with msgpackr (never throws)', () => {
    const valueArb = fc.oneof(
      fc.string({ maxLength: 8 }),
      anyNumber,
      fc.boolean(),
      fc.constant(null),
      fc.uint8Array({ maxLength: 4 }),
    );
    const objects = fc.dictionary(fc.string({ maxLength: 6 }), valueArb, { maxKeys: 17 });
    fc.assert(
      fc.property(objects, fc.nat(40), fc.nat(255), (object, cut, flip) => {
        const payload = Buffer.from(packr.pack(object));
        const altered = Buffer.from(payload);
        if (altered.length > 0) altered[cut % altered.length]! ^= flip;
        for (const bytes of [payload, altered, payload.subarray(0, cut % (payload.length + 1))]) {
          const fast = fastDecode(bytes);
          if (fast !== undefined) expect(fast).toEqual(msgpackrDecode(bytes));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('gives up on a map followed by more bytes, and on a truncated one', () => {
    const payload = packr.pack({ type: 'tick', seq: 1, t1: 2 });
    expect(fastDecode(Buffer.concat([payload, Buffer.from([0])]))).toBeUndefined();
    expect(fastDecode(payload.subarray(0, payload.length - 1))).toBeUndefined();
    expect(fastDecode(new Uint8Array())).toBeUndefined();
  });
});

describe('the data path validators', () => {
  const sameVerdict = (
    value: unknown,
    fast: (v: unknown) => unknown,
    schema: typeof clientMessageSchema | typeof serverMessageSchema,
  ) => {
    const byHand = fast(value);
    const byZod = schema.safeParse(value);
    // The hand check may pass a value on to zod, but never accepts what zod refuses, and
    // what it accepts it returns exactly as zod does.
    if (byHand !== null) expect(byZod.success && byZod.data).toEqual(byHand);
  };

  it('never accept what zod refuses, and accept every valid tick and reply as zod does', () => {
    const field = fc.oneof(anyNumber, fc.string({ maxLength: 3 }), fc.constant(undefined));
    fc.assert(
      fc.property(field, field, field, field, fc.boolean(), (s, t1, t2, t3, extra) => {
        const tick = { type: 'tick', seq: s, t1, ...(extra ? { x: 1 } : {}) };
        sameVerdict({ ...tick, ack: t2 }, fastTick, clientMessageSchema);
        const reply = { type: 'reply', seq: s, t1, t2, t3, ...(extra ? { x: 1 } : {}) };
        sameVerdict(tick, fastTick, clientMessageSchema);
        sameVerdict(reply, fastReply, serverMessageSchema);
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(seq, micros, micros, micros, (s, t1, t2, t3) => {
        expect(fastTick({ type: 'tick', seq: s, t1 })).toEqual({ type: 'tick', seq: s, t1 });
        const ack = t2 % 0x1_0000_0000;
        expect(fastTick({ type: 'tick', seq: s, t1, ack })).toEqual(
          clientMessageSchema.parse({ type: 'tick', seq: s, t1, ack }),
        );
        expect(fastReply({ type: 'reply', seq: s, t1, t2, t3 })).toEqual(
          serverMessageSchema.parse({ type: 'reply', seq: s, t1, t2, t3 }),
        );
      }),
    );
  });
});
