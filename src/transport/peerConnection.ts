import {
  type ByteChannel,
  type Connection,
  type ConnectionOptions,
  createFramedConnection,
} from './connection';
import {
  assertNamesFollowRule,
  MAX_WIRE_CHUNK_BYTES,
  MAX_WIRE_CHUNKS,
  type PeerMessage,
  parsePeerMessage,
} from './peerProtocol';

/**
 * A connection between two peers (the protocol is symmetric: both sides speak PeerMessage),
 * with what an uploader needs to pace itself: bytes waiting in the send buffer, and counters.
 */
export interface PeerConnection extends Connection<PeerMessage, PeerMessage> {
  /** Bytes written and not yet taken by the OS (or the in-memory peer). */
  readonly bufferedBytes: number;
  readonly counters: ByteCounters;
}

/** Room for the largest chunk or manifest plus its msgpack envelope. */
export const PEER_MAX_FRAME_BYTES =
  Math.max(MAX_WIRE_CHUNK_BYTES, MAX_WIRE_CHUNKS * 32) + 64 * 1024;

/** Bytes moved over one channel, frame headers included. */
export interface ByteCounters {
  sent: number;
  received: number;
}

/** Wraps a channel so every byte written and read is counted (wire bytes, for the benchmark). */
export function countingChannel(channel: ByteChannel, counters: ByteCounters): ByteChannel {
  return {
    get localAddress() {
      return channel.localAddress;
    },
    get localPort() {
      return channel.localPort;
    },
    get remoteAddress() {
      return channel.remoteAddress;
    },
    get remotePort() {
      return channel.remotePort;
    },
    get bufferedBytes() {
      return channel.bufferedBytes;
    },
    write(data) {
      counters.sent += data.length;
      channel.write(data);
    },
    end: () => channel.end(),
    destroy: () => channel.destroy(),
    setReceiver(receiver) {
      channel.setReceiver(
        receiver && {
          data(chunk) {
            counters.received += chunk.length;
            receiver.data(chunk);
          },
          end: () => receiver.end(),
          error: (error) => receiver.error(error),
        },
      );
    },
  };
}

type Limits = Omit<ConnectionOptions<unknown>, 'parse'>;

/** Frames, msgpack and the peer schema over a channel, counting every byte each way. */
export function peerConnection(
  channel: ByteChannel,
  limits: Limits = {},
  counters: ByteCounters = { sent: 0, received: 0 },
): PeerConnection {
  const counted = countingChannel(channel, counters);
  const connection = createFramedConnection<PeerMessage, PeerMessage>(counted, {
    maxFrameBytes: PEER_MAX_FRAME_BYTES,
    ...limits,
    parse: parsePeerMessage,
  });
  return {
    get localAddress() {
      return connection.localAddress;
    },
    get localPort() {
      return connection.localPort;
    },
    get remoteAddress() {
      return connection.remoteAddress;
    },
    get remotePort() {
      return connection.remotePort;
    },
    get messages$() {
      return connection.messages$;
    },
    get isClosed() {
      return connection.isClosed;
    },
    get bufferedBytes() {
      return channel.bufferedBytes;
    },
    counters,
    send: (message) => {
      assertNamesFollowRule(message);
      connection.send(message);
    },
    sendNow: (message) => {
      assertNamesFollowRule(message);
      connection.sendNow(message);
    },
    close: () => connection.close(),
    destroy: () => connection.destroy(),
    protect: (keys, after) => connection.protect(keys, after),
  };
}
