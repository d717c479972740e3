import { TimeswarmError } from '../errors';

/**
 * Transport errors. Every error carries a stable `code` that callers and tests match on;
 * the message is for people and may change.
 */
export class TransportError extends TimeswarmError {
  override name = 'TransportError';
  constructor(message = 'Transport error', code = 'ERR_TRANSPORT', options?: { cause?: unknown }) {
    super(message, code, options);
  }
}

/** A length prefix announced a frame larger than the limit; refused before buffering it. */
export class FrameTooLargeError extends TransportError {
  override name = 'FrameTooLargeError';
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`Frame of ${size} bytes exceeds the limit of ${limit} bytes`, 'ERR_FRAME_TOO_LARGE');
  }
}

/** Bytes that are not one well-formed msgpack value. */
export class DecodeError extends TransportError {
  override name = 'DecodeError';
  constructor(
    message = 'Frame is not a single valid msgpack value',
    options?: { cause?: unknown },
  ) {
    super(message, 'ERR_DECODE', options);
  }
}

/** A well-formed msgpack value that does not match any message of the protocol. */
export class InvalidMessageError extends TransportError {
  override name = 'InvalidMessageError';
  constructor(message = 'Message does not match the protocol schema') {
    super(message, 'ERR_INVALID_MESSAGE');
  }
}

/** The peer is not reading: more than the allowed bytes wait in our send buffer. */
export class SlowConsumerError extends TransportError {
  override name = 'SlowConsumerError';
  constructor(
    readonly buffered: number,
    readonly waitedMs?: number,
  ) {
    super(
      waitedMs === undefined
        ? `Peer is not reading: ${buffered} bytes waiting to be sent`
        : `Peer is not reading: what we sent has waited ${Math.round(waitedMs)} ms to leave (${buffered} bytes in our buffer)`,
      'ERR_SLOW_CONSUMER',
    );
  }
}

/** The underlying socket failed (reset, refused, unreachable), or ended mid-frame. */
export class ConnectionError extends TransportError {
  override name = 'ConnectionError';
  constructor(message: string, code = 'ERR_CONNECTION', options?: { cause?: unknown }) {
    super(message, code, options);
  }
}
