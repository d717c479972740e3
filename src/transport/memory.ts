import type { ChannelListener, ConnectOptions, ListenOptions, Transport } from './channelTransport';
import type { ByteChannel, ByteReceiver } from './connection';
import { ConnectionError } from './errors';

interface Endpoint {
  address: string;
  port: number;
}

/** One end of an in-memory pipe. Bytes written on one end arrive, in order, at the other. */
class MemoryChannel implements ByteChannel {
  peer!: MemoryChannel;
  private receiver: ByteReceiver | null = null;
  private inbox: Buffer[] = [];
  /** The writer's `written` callbacks, by inbox position (called as the bytes are read). */
  private notes: Array<(() => void) | undefined> = [];
  private ended = false;
  private failure: ConnectionError | null = null;
  private done = false;

  constructor(
    private readonly local: Endpoint,
    private readonly remote: Endpoint,
  ) {}

  get localAddress() {
    return this.local.address;
  }
  get localPort() {
    return this.local.port;
  }
  get remoteAddress() {
    return this.remote.address;
  }
  get remotePort() {
    return this.remote.port;
  }
  get bufferedBytes() {
    // Bytes the peer has not read yet stand in for a kernel send buffer.
    return this.peer.inbox.reduce((sum, b) => sum + b.length, 0);
  }

  write(data: Buffer, written?: () => void) {
    if (this.done) return;
    this.peer.arrive(Buffer.from(data), written);
  }
  end() {
    if (this.done) return;
    this.done = true;
    this.peer.arriveEnd();
  }
  destroy() {
    if (this.done) return;
    this.done = true;
    this.peer.arriveError(new ConnectionError('Connection reset by peer', 'ECONNRESET'));
  }

  setReceiver(receiver: ByteReceiver | null) {
    this.receiver = receiver;
    if (receiver) this.drain();
  }

  private arrive(data: Buffer, written?: () => void) {
    this.inbox.push(data);
    this.notes.push(written);
    this.drain();
  }
  private arriveEnd() {
    this.ended = true;
    this.drain();
  }
  private arriveError(error: ConnectionError) {
    this.failure = error;
    this.inbox = [];
    this.notes = [];
    this.drain();
  }
  private drain() {
    while (this.receiver && this.inbox.length > 0) {
      const data = this.inbox.shift()!;
      const written = this.notes.shift();
      this.receiver.data(data);
      written?.();
    }
    if (!this.receiver) return;
    if (this.failure) this.receiver.error(this.failure);
    else if (this.ended) this.receiver.end();
  }
}

/** An in-memory network: a {@link Transport} whose listeners and connections never touch a socket. */
export interface MemoryNetwork extends Transport {
  /** Addresses with a live listener, as `host:port`. */
  readonly listening: string[];
}

/**
 * Creates an isolated in-memory network for tests and embedding: `listen` and `connect` behave
 * like TCP (refused when nobody listens, ports allocated from 0, clean end and reset), with no
 * timers and no I/O, so machines driven by a simulated clock run a 5-minute session in
 * milliseconds.
 */
export function createMemoryNetwork(): MemoryNetwork {
  const listeners = new Map<string, (channel: ByteChannel) => void>();
  let nextPort = 40_000;
  let nextEphemeral = 50_000;

  return {
    get listening() {
      return [...listeners.keys()];
    },
    async listen(options: ListenOptions): Promise<ChannelListener> {
      const port = options.port === 0 ? nextPort++ : options.port;
      const key = `${options.host}:${port}`;
      if (listeners.has(key)) {
        throw new ConnectionError(`Address in use: ${key}`, 'EADDRINUSE');
      }
      const held: ByteChannel[] = [];
      let handler: ((channel: ByteChannel) => void) | null = null;
      listeners.set(key, (channel) => (handler ? handler(channel) : held.push(channel)));
      return {
        host: options.host,
        port,
        accept(next) {
          handler = next;
          for (const channel of held.splice(0)) next(channel);
        },
        async close() {
          listeners.delete(key);
          // As over TCP: connections accepted but never handed to a handler are dropped.
          for (const channel of held.splice(0)) channel.destroy();
        },
      };
    },
    async connect(options: ConnectOptions): Promise<ByteChannel> {
      if (options.signal?.aborted) throw new ConnectionError('Connect aborted', 'ABORT_ERR');
      const accept = listeners.get(`${options.host}:${options.port}`);
      if (!accept) {
        throw new ConnectionError(
          `Cannot connect to ${options.host}:${options.port}: connection refused`,
          'ECONNREFUSED',
        );
      }
      const clientEnd: Endpoint = {
        address: options.localAddress ?? '127.0.0.1',
        port: nextEphemeral++,
      };
      const serverEnd: Endpoint = { address: options.host, port: options.port };
      const client = new MemoryChannel(clientEnd, serverEnd);
      const server = new MemoryChannel(serverEnd, clientEnd);
      client.peer = server;
      server.peer = client;
      accept(server);
      return client;
    },
  };
}
