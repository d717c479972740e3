/**
 * Transport errors. Every error carries a stable `code` that callers and tests match on;
 * the message is for people and may change.
 */
export class TransportError extends Error {
  override name = 'TransportError';
  readonly code: string = 'ERR_TRANSPORT';
  constructor(message = 'Transport error', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A length prefix announced a frame larger than the limit; refused before buffering it. */
export class FrameTooLargeError extends TransportError {
  override name = 'FrameTooLargeError';
  override readonly code = 'ERR_FRAME_TOO_LARGE';
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`Frame of ${size} bytes exceeds the limit of ${limit} bytes`);
  }
}

/** Bytes that are not one well-formed msgpack value. */
export class DecodeError extends TransportError {
  override name = 'DecodeError';
  override readonly code = 'ERR_DECODE';
  constructor(
    message = 'Frame is not a single valid msgpack value',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A well-formed msgpack value that does not match any message of the protocol. */
export class InvalidMessageError extends TransportError {
  override name = 'InvalidMessageError';
  override readonly code = 'ERR_INVALID_MESSAGE';
  constructor(message = 'Message does not match the protocol schema') {
    super(message);
  }
}

/** The peer is not reading: more than the allowed bytes wait in our send buffer. */
export class SlowConsumerError extends TransportError {
  override name = 'SlowConsumerError';
  override readonly code = 'ERR_SLOW_CONSUMER';
  constructor(readonly buffered: number) {
    super(`Peer is not reading: ${buffered} bytes waiting to be sent`);
  }
}

/** The underlying socket failed (reset, refused, unreachable). */
export class ConnectionError extends TransportError {
  override name = 'ConnectionError';
  override readonly code: string;
  constructor(message: string, code = 'ERR_CONNECTION', options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Whatever was thrown, as something with a `code` and a message. */
export function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : 'ERR_UNKNOWN', message: error.message };
  }
  return { code: 'ERR_UNKNOWN', message: String(error) };
}
