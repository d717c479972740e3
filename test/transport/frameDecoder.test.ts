import fc from 'fast-check';
import {
  createFrameDecoder,
  DEFAULT_MAX_FRAME_BYTES,
  FRAME_HEADER_BYTES,
  FrameTooLargeError,
  frame,
  TransportError,
} from '../../src/transport';

const bytes = (...values: number[]) => Buffer.from(values);
const header = (length: number) => {
  const out = Buffer.alloc(FRAME_HEADER_BYTES);
  out.writeUInt32BE(length >>> 0, 0);
  return out;
};

/** Feeds `data` split at the given offsets; returns every payload decoded, in order. */
function decodeChunked(data: Buffer, cuts: number[], maxFrameBytes?: number): Buffer[] {
  const decoder = createFrameDecoder(maxFrameBytes === undefined ? {} : { maxFrameBytes });
  const bounds = [0, ...[...new Set(cuts)].sort((a, b) => a - b), data.length];
  const out: Buffer[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    out.push(...decoder.push(data.subarray(bounds[i], bounds[i + 1])));
  }
  expect(decoder.bufferedBytes).toBe(0);
  return out;
}

/** Payloads as hex strings: compares much faster than Buffers in a tight loop. */
const hex = (buffers: Buffer[]) => buffers.map((b) => b.toString('hex'));

/** Asserts `fn` throws a TransportError subclass with the given code; returns it. */
function expectCode(fn: () => unknown, code: string): TransportError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TransportError);
  expect((caught as TransportError).code).toBe(code);
  return caught as TransportError;
}

describe('frame()', () => {
  it('prefixes a payload with its length as a 4-byte big-endian unsigned integer', () => {
    expect(frame(bytes(0xaa, 0xbb, 0xcc))).toEqual(bytes(0, 0, 0, 3, 0xaa, 0xbb, 0xcc));
    expect(frame(Buffer.alloc(0))).toEqual(bytes(0, 0, 0, 0));
    expect(frame(Buffer.alloc(0x01_02_03)).subarray(0, 4)).toEqual(bytes(0, 1, 2, 3));
  });
});

describe('createFrameDecoder', () => {
  const payloads = [bytes(1), bytes(), bytes(2, 3, 4, 5, 6, 7), Buffer.alloc(300, 9), bytes(0xff)];
  const stream = Buffer.concat(payloads.map(frame));

  it('decodes frames merged in one chunk, in order', () => {
    expect(createFrameDecoder().push(stream)).toEqual(payloads);
  });

  it('decodes the same frames when the stream is split at every single byte boundary', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(hex(decodeChunked(stream, [cut]))).toEqual(hex(payloads));
    }
  });

  it('decodes the same frames when fed one byte at a time', () => {
    const cuts = Array.from({ length: stream.length }, (_, i) => i);
    expect(decodeChunked(stream, cuts)).toEqual(payloads);
  });

  it('decodes every pair of split points in a short stream', () => {
    const short = Buffer.concat([bytes(1, 2), bytes(), bytes(3)].map(frame));
    for (let a = 0; a <= short.length; a++) {
      for (let b = a; b <= short.length; b++) {
        expect(decodeChunked(short, [a, b])).toEqual([bytes(1, 2), bytes(), bytes(3)]);
      }
    }
  });

  it('emits a zero-length frame as an empty payload, even at the very end of a chunk', () => {
    const decoder = createFrameDecoder();
    expect(decoder.push(header(0))).toEqual([bytes()]);
    expect(decoder.bufferedBytes).toBe(0);
    expect(decoder.push(Buffer.concat([header(0), header(0)]))).toEqual([bytes(), bytes()]);
  });

  it('ignores empty chunks', () => {
    const decoder = createFrameDecoder();
    expect(decoder.push(bytes())).toEqual([]);
    expect(decoder.push(bytes(0, 0))).toEqual([]);
    expect(decoder.push(bytes())).toEqual([]);
    expect(decoder.push(bytes(0, 1, 7))).toEqual([bytes(7)]);
  });

  it('accepts plain Uint8Arrays, including views into a larger buffer', () => {
    const backing = new Uint8Array([99, 99, 0, 0, 0, 2, 5, 6, 99]);
    const view = backing.subarray(2, 8);
    expect(createFrameDecoder().push(view)).toEqual([bytes(5, 6)]);
  });

  it('copies payloads out, so they do not change when the caller reuses its chunk', () => {
    const chunk = Buffer.from(frame(bytes(1, 2, 3)));
    const [payload] = createFrameDecoder().push(chunk);
    chunk.fill(0);
    expect(payload).toEqual(bytes(1, 2, 3));
  });

  it('counts the bytes of an incomplete frame, its length prefix included', () => {
    const decoder = createFrameDecoder();
    decoder.push(bytes(0, 0));
    expect(decoder.bufferedBytes).toBe(2);
    decoder.push(bytes(0, 5));
    // The prefix is read, no payload yet: still 4 bytes of an unfinished frame.
    expect(decoder.bufferedBytes).toBe(4);
    decoder.push(bytes(1, 2));
    expect(decoder.bufferedBytes).toBe(6);
    expect(decoder.push(bytes(3, 4, 5, 0))).toEqual([bytes(1, 2, 3, 4, 5)]);
    expect(decoder.bufferedBytes).toBe(1);
  });

  describe('size limit', () => {
    it('uses 1 MiB by default', () => {
      expect(DEFAULT_MAX_FRAME_BYTES).toBe(1024 * 1024);
      const decoder = createFrameDecoder();
      expect(decoder.push(header(DEFAULT_MAX_FRAME_BYTES))).toEqual([]);
      expectCode(
        () => createFrameDecoder().push(header(DEFAULT_MAX_FRAME_BYTES + 1)),
        'ERR_FRAME_TOO_LARGE',
      );
    });

    it('accepts a frame of exactly the maximum size', () => {
      const payload = Buffer.alloc(64, 7);
      expect(createFrameDecoder({ maxFrameBytes: 64 }).push(frame(payload))).toEqual([payload]);
      // …also when it arrives in pieces.
      expect(decodeChunked(frame(payload), [1, 4, 5, 30, 67], 64)).toEqual([payload]);
    });

    it('refuses max + 1 as soon as the prefix is complete, before any payload byte', () => {
      const decoder = createFrameDecoder({ maxFrameBytes: 64 });
      expect(decoder.push(bytes(0, 0, 0))).toEqual([]);
      const error = expectCode(() => decoder.push(bytes(65)), 'ERR_FRAME_TOO_LARGE');
      expect(error).toBeInstanceOf(FrameTooLargeError);
      expect(error).toMatchObject({ name: 'FrameTooLargeError', size: 65, limit: 64 });
      expect(decoder.bufferedBytes).toBe(0);
    });

    it('refuses a 0xFFFFFFFF prefix without buffering anything', () => {
      const decoder = createFrameDecoder();
      const error = expectCode(
        () => decoder.push(Buffer.concat([bytes(0xff, 0xff, 0xff, 0xff), Buffer.alloc(1000)])),
        'ERR_FRAME_TOO_LARGE',
      );
      expect((error as FrameTooLargeError).size).toBe(0xffff_ffff);
      expect(decoder.bufferedBytes).toBe(0);
    });

    it('stays failed: later bytes are not read as new frames', () => {
      const decoder = createFrameDecoder({ maxFrameBytes: 8 });
      expectCode(() => decoder.push(header(9)), 'ERR_FRAME_TOO_LARGE');
      expect(decoder.error?.code).toBe('ERR_FRAME_TOO_LARGE');
      expectCode(() => decoder.push(frame(bytes(1))), 'ERR_FRAME_TOO_LARGE');
      expectCode(() => decoder.push(bytes()), 'ERR_FRAME_TOO_LARGE');
    });

    it('returns the good frames before an oversized prefix in the same chunk, then fails', () => {
      const decoder = createFrameDecoder({ maxFrameBytes: 8 });
      const chunk = Buffer.concat([frame(bytes(1)), frame(bytes(2)), header(9), Buffer.alloc(9)]);
      expect(decoder.push(chunk)).toEqual([bytes(1), bytes(2)]);
      expect(decoder.error).toBeInstanceOf(FrameTooLargeError);
      expectCode(() => decoder.push(bytes(0)), 'ERR_FRAME_TOO_LARGE');
    });
  });

  describe('properties', () => {
    const payloadArb = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));

    it('any frames, re-chunked arbitrarily, decode to the same payloads', () => {
      fc.assert(
        fc.property(
          fc.array(payloadArb, { maxLength: 20 }),
          fc.array(fc.nat(), { maxLength: 30 }),
          (frames, rawCuts) => {
            const data = Buffer.concat(frames.map(frame));
            const cuts = rawCuts.map((c) => (data.length === 0 ? 0 : c % (data.length + 1)));
            expect(hex(decodeChunked(data, cuts, 300))).toEqual(hex(frames));
          },
        ),
        { numRuns: 300 },
      );
    });

    it('random bytes never make the decoder throw anything but a TransportError', () => {
      fc.assert(
        fc.property(
          fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }),
          fc.integer({ min: 0, max: 256 }),
          (chunks, maxFrameBytes) => {
            const decoder = createFrameDecoder({ maxFrameBytes });
            let received = 0;
            for (const chunk of chunks) {
              try {
                for (const payload of decoder.push(chunk)) {
                  expect(payload.length).toBeLessThanOrEqual(maxFrameBytes);
                  received += FRAME_HEADER_BYTES + payload.length;
                }
              } catch (error) {
                expect(error).toBeInstanceOf(TransportError);
                expect((error as TransportError).code).toBe('ERR_FRAME_TOO_LARGE');
                return;
              }
              expect(decoder.bufferedBytes).toBeLessThanOrEqual(FRAME_HEADER_BYTES + maxFrameBytes);
            }
            // Nothing invented, nothing lost: every byte is in a frame or still buffered.
            const total = chunks.reduce((sum, c) => sum + c.length, 0);
            expect(received + decoder.bufferedBytes).toBe(total);
          },
        ),
        { numRuns: 500 },
      );
    });

    it('hostile prefixes: any length above the limit fails, any length up to it waits', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 0xffff_ffff }),
          fc.integer({ min: 0, max: 1 << 20 }),
          (length, max) => {
            const decoder = createFrameDecoder({ maxFrameBytes: max });
            if (length > max) {
              expectCode(() => decoder.push(header(length)), 'ERR_FRAME_TOO_LARGE');
              expect(decoder.bufferedBytes).toBe(0);
            } else {
              expect(decoder.push(header(length))).toEqual(length === 0 ? [bytes()] : []);
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
