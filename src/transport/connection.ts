import { Observable, type Subscriber } from 'rxjs';
import { systemClock } from '../time/clock';
import { decodePayload, encodeFrame } from './codec';
import { ConnectionError, SlowConsumerError, TransportError } from './errors';
import { createFrameDecoder, DEFAULT_MAX_FRAME_BYTES } from './frameDecoder';
import { FrameAuthError, type FrameKeys, frameOpener, frameSealer } from './frameMac';
import type { MessageParser } from './sessionProtocol';

/** Where a connection's bytes go to and come from: a TCP socket or an in-memory pipe. */
export interface ByteChannel {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Bytes accepted by `write` and not yet handed to the peer. */
  readonly bufferedBytes: number;
  /**
   * Queues bytes for the peer. `written`, if given, is called once they have left our
   * process (TCP: handed to the kernel; in memory: read by the peer).
   */
  write(data: Buffer, written?: () => void): void;
  /** Ends our side after everything written so far has been sent. */
  end(): void;
  destroy(): void;
  /**
   * Starts (or, with `null`, pauses) delivery of incoming bytes. While paused the channel
   * holds them (TCP: in the kernel), so nothing arrives before someone listens.
   */
  setReceiver(receiver: ByteReceiver | null): void;
}

export interface ByteReceiver {
  data(chunk: Buffer): void;
  /** The peer ended its side cleanly. */
  end(): void;
  error(error: TransportError): void;
}

export interface ConnectionOptions<In> {
  /** Validates every decoded value; throwing cuts the connection off. */
  parse: MessageParser<In>;
  maxFrameBytes?: number;
  /** A peer that lets more than this wait in our send buffer is cut off (it is not reading). */
  maxSendBufferBytes?: number;
  /**
   * A peer that lets what we sent wait this long (ms) before it could leave our process (the
   * kernel's buffers full: it is not reading) is cut off, `ERR_SLOW_CONSUMER`. Checked on each
   * write. Default: no time limit (only the byte limit).
   */
  maxSendDelayMs?: number;
  /**
   * Called once per read, when bytes arrive and before they are decoded; every message decoded
   * from those bytes is delivered with the result as its {@link Received.at}. A message is thus
   * timestamped at its arrival, not after the decoding, validation and state machine that come
   * after. Defaults to the system clock; pass the actors' clock so a simulated one stamps too.
   */
  stamp?: () => Stamp;
}

/** A receive time: wall clock (µs since the epoch) and monotonic clock (ms). */
export interface Stamp {
  readonly wallMicros: number;
  readonly monoMs: number;
}

/** A validated message and when its bytes arrived. */
export interface Received<In> {
  readonly message: In;
  readonly at: Stamp;
}

/** The stamp of the system clock (wall and monotonic, read together). */
export const systemStamp = (): Stamp => ({
  wallMicros: systemClock.wallMicros(),
  monoMs: systemClock.now(),
});

/**
 * A connection as actors see it: validated messages in as an RxJS stream (each with its arrival
 * stamp), typed messages out.
 *
 * `messages$` is single-subscriber and cold with respect to the socket: bytes are read only
 * while someone is subscribed. It completes when the peer ends the connection cleanly and
 * errors with a {@link TransportError} (which has a stable `code`) on anything else.
 */
export interface Connection<In, Out> {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly messages$: Observable<Received<In>>;
  /** Queues a message; frames queued in the same tick of the event loop go out in one write. */
  send(message: Out): void;
  /**
   * Writes a message (and anything queued before it) to the socket now, for messages whose
   * timestamp should be taken as close to the wire as possible.
   */
  sendNow(message: Out): void;
  /** Sends what is queued, then ends the connection. */
  close(): void;
  /** Drops the connection at once. */
  destroy(): void;
  readonly isClosed: boolean;
  /**
   * Seals every frame sent and checks every frame received from now on with the session's
   * keys (see frameMac.ts); a frame that fails ends the connection with `ERR_AUTH`. With
   * `after`, both start right after the first received message that matches it (a client:
   * the welcome), decided as the bytes are decoded. Messages received and not yet read when
   * the check starts were never checked: the connection fails with `ERR_AUTH`.
   */
  protect(keys: FrameKeys, after?: (message: In) => boolean): void;
}

export const DEFAULT_MAX_SEND_BUFFER_BYTES = 8 * 1024 * 1024;

/** Wraps a byte channel with framing, msgpack and schema validation. */
export function createFramedConnection<In, Out>(
  channel: ByteChannel,
  options: ConnectionOptions<In>,
): Connection<In, Out> {
  const decoder = createFrameDecoder({
    maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
  });
  const maxSendBuffer = options.maxSendBufferBytes ?? DEFAULT_MAX_SEND_BUFFER_BYTES;
  const stamp = options.stamp ?? systemStamp;
  const maxSendDelay = options.maxSendDelayMs ?? Number.POSITIVE_INFINITY;
  // When each write still in our process was made (monotonic ms), oldest first: only kept
  // with a time limit. The kernel takes writes in order, so their callbacks come in order.
  const unsent: number[] = [];
  const written = () => {
    unsent.shift();
  };
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let flushScheduled = false;
  let closed = false;
  let failure: TransportError | null = null;
  let finish: ((error?: TransportError) => void) | null = null;
  // Frame integrity (a session with a secret): armed by `protect`, active once its moment came.
  let seal: ((frame: Buffer) => Buffer) | null = null;
  let open: ((received: Buffer) => Buffer) | null = null;
  let armed: { keys: FrameKeys; after: (message: In) => boolean } | null = null;
  const startProtection = (keys: FrameKeys) => {
    armed = null;
    seal = frameSealer(keys.send);
    open = frameOpener(keys.receive);
  };
  const encode = (message: Out): Buffer => {
    const bytes = encodeFrame(message);
    return seal ? seal(bytes) : bytes;
  };

  const fail = (error: TransportError) => {
    if (closed) return;
    failure = error;
    closed = true;
    pending = [];
    channel.destroy();
    finish?.(error);
  };

  const flush = () => {
    flushScheduled = false;
    if (pending.length === 0 || closed) return;
    const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    if (maxSendDelay === Number.POSITIVE_INFINITY) channel.write(data);
    else {
      const now = stamp().monoMs;
      unsent.push(now);
      channel.write(data, written);
      const waitedMs = now - unsent[0]!;
      if (waitedMs > maxSendDelay) {
        fail(new SlowConsumerError(channel.bufferedBytes, waitedMs));
        return;
      }
    }
    if (channel.bufferedBytes > maxSendBuffer) fail(new SlowConsumerError(channel.bufferedBytes));
  };

  // Messages decoded but not yet delivered: a reader may unsubscribe in the middle of a
  // chunk that held several frames (a state change after a handshake); the rest wait here
  // for the next reader instead of being dropped.
  const queue: Received<In>[] = [];
  let reader: Subscriber<Received<In>> | null = null;

  const deliver = () => {
    // `closed` turns true the moment a reader unsubscribes, even inside its own `next`.
    while (reader && !reader.closed && queue.length > 0) reader.next(queue.shift()!);
  };

  const receiver: ByteReceiver = {
    data(chunk) {
      const at = stamp();
      try {
        for (const payload of decoder.push(chunk)) {
          const message = options.parse(decodePayload(open ? open(payload) : payload));
          queue.push({ message, at });
          if (armed?.after(message)) startProtection(armed.keys);
        }
        // Frames before an oversized prefix in the same chunk were good; deliver them first.
        if (decoder.error) throw decoder.error;
      } catch (error) {
        deliver();
        // Replies to the good messages before the bad frame are handed to the socket first:
        // whoever answered them has already counted (and logged) them as sent.
        flush();
        fail(
          error instanceof TransportError
            ? error
            : new TransportError('Bad frame', 'ERR_TRANSPORT', { cause: error }),
        );
        return;
      }
      deliver();
      if ((!reader || reader.closed) && queue.length > 0) channel.setReceiver(null); // wait for a reader
    },
    end() {
      // A clean end in the middle of a frame (even right after its length prefix) is still
      // a truncated message.
      if (decoder.bufferedBytes > 0) {
        fail(new ConnectionError('Connection ended in the middle of a frame', 'ERR_TRUNCATED'));
        return;
      }
      closed = true;
      finish?.();
    },
    error(error) {
      fail(error);
    },
  };

  const messages$ = new Observable<Received<In>>((subscriber) => {
    if (reader && !reader.closed) {
      subscriber.error(new TransportError('A connection has exactly one reader'));
      return;
    }
    reader = subscriber;
    deliver();
    if (subscriber.closed) {
      reader = null;
      return;
    }
    if (failure) {
      subscriber.error(failure);
      return;
    }
    if (closed) {
      subscriber.complete();
      return;
    }
    finish = (error) => {
      finish = null;
      reader = null;
      channel.setReceiver(null);
      if (error) subscriber.error(error);
      else subscriber.complete();
    };
    channel.setReceiver(receiver);
    return () => {
      if (reader !== subscriber) return;
      reader = null;
      finish = null;
      channel.setReceiver(null);
    };
  });

  return {
    localAddress: channel.localAddress,
    localPort: channel.localPort,
    remoteAddress: channel.remoteAddress,
    remotePort: channel.remotePort,
    messages$,
    get isClosed() {
      return closed;
    },
    send(message) {
      if (closed) return;
      const bytes = encode(message);
      pending.push(bytes);
      pendingBytes += bytes.length;
      if (!flushScheduled) {
        flushScheduled = true;
        queueMicrotask(flush);
      }
    },
    sendNow(message) {
      if (closed) return;
      const bytes = encode(message);
      pending.push(bytes);
      pendingBytes += bytes.length;
      flush(); // a microtask already scheduled finds nothing left to write
    },
    close() {
      if (closed) return;
      flush();
      if (closed) return;
      closed = true;
      channel.end();
      finish?.();
    },
    destroy() {
      if (closed) return;
      closed = true;
      pending = [];
      channel.destroy();
      finish?.();
    },
    protect(keys, after) {
      if (closed) return;
      if (after) {
        const at = queue.findIndex((received) => after(received.message));
        if (at < 0) {
          armed = { keys, after };
          return;
        }
        // The moment already passed: whatever came after it was not checked.
        if (at < queue.length - 1)
          return fail(new FrameAuthError('unchecked frames after the handshake'));
      } else if (queue.length > 0) {
        return fail(new FrameAuthError('unchecked frames before the handshake ended'));
      }
      startProtection(keys);
    },
  };
}
