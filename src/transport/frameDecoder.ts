import { FrameTooLargeError } from './errors';

/** Bytes of the big-endian unsigned length that precedes every frame. */
export const FRAME_HEADER_BYTES = 4;

/** Default largest payload accepted: a file chunk of 256 KiB plus its envelope fits. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

export interface FrameDecoderOptions {
  /** Largest payload accepted; a longer prefix is an error before any of it is buffered. */
  maxFrameBytes?: number;
}

export interface FrameDecoder {
  /** Feeds bytes as they arrive; returns every frame payload completed by them, in order. */
  push(chunk: Uint8Array): Buffer[];
  /**
   * Bytes held for a frame not yet complete, its length prefix included (never more than
   * header + max frame). Non-zero at the end of a stream means the last frame was truncated.
   */
  readonly bufferedBytes: number;
  /**
   * Set once the stream is known to be bad. From then on the decoder is unusable: every
   * `push` throws this error. When a chunk completes some frames and then announces an
   * oversized one, `push` returns those frames first and the error is only recorded here.
   */
  readonly error: FrameTooLargeError | null;
}

/**
 * An incremental decoder for length-prefixed frames: `u32be length | payload`.
 * Pure (no I/O), so it can be fed hostile bytes in tests. It throws
 * {@link FrameTooLargeError} as soon as a prefix announces more than the limit (frames
 * completed earlier in the same chunk are still returned; see {@link FrameDecoder.error}),
 * and never holds more than one incomplete frame.
 *
 * @example
 * const decoder = createFrameDecoder({ maxFrameBytes: 1024 });
 * socket.on('data', (chunk) => decoder.push(chunk).forEach(handlePayload));
 */
export function createFrameDecoder(options: FrameDecoderOptions = {}): FrameDecoder {
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  // Chunks are kept as a list and joined only when a frame is complete, so a large frame
  // arriving in many small chunks is copied once, not once per chunk.
  let chunks: Buffer[] = [];
  let buffered = 0;
  let expected = -1; // payload length of the frame in progress, -1 while reading its header
  let error: FrameTooLargeError | null = null;

  const take = (n: number): Buffer => {
    const joined = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, buffered);
    const head = joined.subarray(0, n);
    const rest = joined.subarray(n);
    chunks = rest.length > 0 ? [rest] : [];
    buffered = rest.length;
    return head;
  };

  return {
    get bufferedBytes() {
      // The header of a frame in progress has been consumed but still belongs to that frame.
      return buffered + (expected >= 0 ? FRAME_HEADER_BYTES : 0);
    },
    get error() {
      return error;
    },
    push(chunk) {
      // Once a prefix was bad, whatever follows would be read as garbage headers.
      if (error) throw error;
      if (chunk.length === 0) return [];
      const buf = Buffer.isBuffer(chunk)
        ? chunk
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
      // The common case on the data path: nothing held, and the chunk is whole small frames:
      // each payload is copied straight out of it, without the bookkeeping below.
      if (buffered === 0 && expected < 0 && buf.length <= SMALL_CHUNK_BYTES) {
        const frames = wholeFrames(buf, maxFrameBytes);
        if (frames) return frames;
      }
      chunks.push(buf);
      buffered += buf.length;
      const frames: Buffer[] = [];
      for (;;) {
        if (expected < 0) {
          if (buffered < FRAME_HEADER_BYTES) break;
          const length = take(FRAME_HEADER_BYTES).readUInt32BE(0);
          if (length > maxFrameBytes) {
            chunks = [];
            buffered = 0;
            error = new FrameTooLargeError(length, maxFrameBytes);
            if (frames.length === 0) throw error;
            return frames;
          }
          expected = length;
        }
        if (buffered < expected) break;
        // Copy out so the payload does not pin a large shared chunk in memory.
        frames.push(Buffer.from(take(expected)));
        expected = -1;
      }
      return frames;
    },
  };
}

/** A chunk up to this size takes the short way (whole frames, copied out one by one). */
const SMALL_CHUNK_BYTES = 4096;

/** The chunk's payloads (copies), or null if it ends inside a frame or breaks a limit. */
function wholeFrames(buf: Buffer, maxFrameBytes: number): Buffer[] | null {
  const frames: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < FRAME_HEADER_BYTES) return null;
    const length = buf.readUInt32BE(at);
    if (length > maxFrameBytes || buf.length - at - FRAME_HEADER_BYTES < length) return null;
    frames.push(
      Buffer.from(buf.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length)),
    );
    at += FRAME_HEADER_BYTES + length;
  }
  return frames;
}

/** Prefixes a payload with its length. */
export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}
