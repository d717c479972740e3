import { firstValueFrom, map, take, toArray } from 'rxjs';
import {
  type ByteChannel,
  type ClientMessage,
  type Connection,
  clientConnection,
  createFramedConnection,
  createMemoryNetwork,
  encodeFrame,
  FRAME_HEADER_BYTES,
  frame,
  parseClientMessage,
  type ServerMessage,
  serverConnection,
  type TransportError,
} from '../../src/transport';

/** Lets queued microtasks (batched sends) and immediates run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const tick = (seq: number): ClientMessage => ({
  type: 'tick',
  seq,
  t1: 1_795_479_133_000_000 + seq,
});
const reply = (seq: number): ServerMessage => ({ type: 'reply', seq, t1: 1, t2: 2, t3: 3 });

/** A client channel and the server's end of it, over a fresh in-memory network. */
async function channelPair() {
  const network = createMemoryNetwork();
  const listener = await network.listen({ host: '127.0.0.1', port: 0 });
  const accepted: ByteChannel[] = [];
  listener.accept((channel) => accepted.push(channel));
  const client = await network.connect({
    host: '127.0.0.1',
    port: listener.port,
    localAddress: '127.0.0.2',
  });
  expect(accepted).toHaveLength(1);
  return { network, listener, client, server: accepted[0]! };
}

/** Records everything a connection's messages$ emits. */
function record<T>(connection: Connection<T, unknown>) {
  const seen = { messages: [] as T[], error: null as TransportError | null, completed: false };
  const subscription = connection.messages$.subscribe({
    next: ({ message: m }) => seen.messages.push(m),
    error: (e: TransportError) => {
      seen.error = e;
    },
    complete: () => {
      seen.completed = true;
    },
  });
  return { seen, subscription };
}

/** A raw byte reader on a channel, to see exactly what a peer put on the wire. */
function rawReader(channel: ByteChannel) {
  const seen = { bytes: Buffer.alloc(0), ended: false, error: null as TransportError | null };
  channel.setReceiver({
    data: (chunk) => {
      seen.bytes = Buffer.concat([seen.bytes, chunk]);
    },
    end: () => {
      seen.ended = true;
    },
    error: (e) => {
      seen.error = e;
    },
  });
  return seen;
}

/** Wraps a channel to count the writes that reach it. */
function countingWrites(channel: ByteChannel) {
  const writes: Buffer[] = [];
  const wrapped: ByteChannel = {
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
    write: (data) => {
      writes.push(Buffer.from(data));
      channel.write(data);
    },
    end: () => channel.end(),
    destroy: () => channel.destroy(),
    setReceiver: (receiver) => channel.setReceiver(receiver),
  };
  return { wrapped, writes };
}

describe('framed connection over the in-memory network', () => {
  it('exposes both ends’ addresses', async () => {
    const { client, server, listener } = await channelPair();
    const s = serverConnection(server);
    const c = clientConnection(client);
    expect(s.remoteAddress).toBe('127.0.0.2');
    expect(s.localPort).toBe(listener.port);
    expect(c.remoteAddress).toBe('127.0.0.1');
    expect(c.remotePort).toBe(listener.port);
    expect(c.localPort).toBe(s.remotePort);
  });

  it('delivers messages in order, both ways', async () => {
    const { client, server } = await channelPair();
    const s = serverConnection(server);
    const c = clientConnection(client);
    const atServer = record(s);
    const atClient = record(c);
    for (let i = 0; i < 200; i++) {
      c.send(tick(i));
      if (i % 7 === 0) await settle();
    }
    await settle();
    expect(atServer.seen.messages).toEqual(Array.from({ length: 200 }, (_, i) => tick(i)));
    for (const m of atServer.seen.messages) if (m.type === 'tick') s.send(reply(m.seq));
    await settle();
    expect(atClient.seen.messages.map((m) => (m.type === 'reply' ? m.seq : -1))).toEqual(
      Array.from({ length: 200 }, (_, i) => i),
    );
    expect(atServer.seen.error).toBeNull();
    expect(atClient.seen.error).toBeNull();
  });

  it('batches the sends of one event-loop turn into one write', async () => {
    const { client, server } = await channelPair();
    const { wrapped, writes } = countingWrites(client);
    const c = clientConnection(wrapped);
    const atServer = record(serverConnection(server));
    for (let i = 0; i < 5; i++) c.send(tick(i));
    expect(writes).toHaveLength(0); // nothing leaves before the turn ends
    await settle();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toEqual(Buffer.concat([0, 1, 2, 3, 4].map((i) => encodeFrame(tick(i)))));
    expect(atServer.seen.messages).toEqual([0, 1, 2, 3, 4].map(tick));
    c.send(tick(5));
    await settle();
    expect(writes).toHaveLength(2);
    expect(atServer.seen.messages).toHaveLength(6);
  });

  describe('readers', () => {
    it('a reader that unsubscribes mid-chunk leaves the rest for the next reader', async () => {
      const { client, server } = await channelPair();
      const s = serverConnection(server);
      const c = clientConnection(client);
      for (let i = 0; i < 6; i++) s.send(reply(i)); // one write, one chunk of 6 frames
      const first: number[] = [];
      const subscription = c.messages$.subscribe(({ message: m }) => {
        if (m.type === 'reply') first.push(m.seq);
        if (first.length === 2) subscription.unsubscribe();
      });
      await settle();
      expect(first).toEqual([0, 1]);
      // Sent while nobody reads: held, not dropped.
      s.send(reply(6));
      await settle();
      const rest = await firstValueFrom(
        c.messages$.pipe(
          map(({ message }) => message),
          take(5),
          toArray(),
        ),
      );
      expect(rest.map((m) => (m.type === 'reply' ? m.seq : -1))).toEqual([2, 3, 4, 5, 6]);
    });

    it('take(1) per state, as machines do, loses nothing', async () => {
      const { client, server } = await channelPair();
      const s = serverConnection(server);
      const c = clientConnection(client);
      for (let i = 0; i < 4; i++) s.send(reply(i));
      await settle();
      const seqs: number[] = [];
      for (let i = 0; i < 4; i++) {
        const { message: m } = await firstValueFrom(c.messages$);
        if (m.type === 'reply') seqs.push(m.seq);
      }
      expect(seqs).toEqual([0, 1, 2, 3]);
    });

    it('has exactly one reader at a time', async () => {
      const { client } = await channelPair();
      const c = clientConnection(client);
      record(c);
      const second = record(c);
      expect(second.seen.error?.code).toBe('ERR_TRANSPORT');
    });

    it('reads nothing before someone subscribes', async () => {
      const { client, server } = await channelPair();
      const s = serverConnection(server);
      clientConnection(client).send(tick(1));
      await settle();
      // The bytes wait in the server channel; the sender sees them as not yet taken.
      expect(client.bufferedBytes).toBe(encodeFrame(tick(1)).length);
      const atServer = record(s);
      expect(atServer.seen.messages).toEqual([tick(1)]);
      expect(client.bufferedBytes).toBe(0);
    });
  });

  describe('bad bytes from the peer', () => {
    async function receive(
      bytes: Buffer,
      options: { maxFrameBytes?: number; subscribeFirst?: boolean } = {},
    ) {
      const { client, server } = await channelPair();
      const peer = rawReader(client);
      const s = serverConnection(
        server,
        options.maxFrameBytes ? { maxFrameBytes: options.maxFrameBytes } : {},
      );
      const atServer = options.subscribeFirst === false ? null : record(s);
      client.write(bytes);
      await settle();
      return { s, atServer, peer };
    }

    it.each([
      ['garbage', Buffer.from([0, 0, 0, 2, 0x92, 0x01]), 'ERR_DECODE'],
      ['an empty frame', frame(Buffer.alloc(0)), 'ERR_DECODE'],
      ['trailing bytes in a frame', frame(Buffer.from([0xc0, 0xc0])), 'ERR_DECODE'],
      [
        'valid msgpack of the wrong shape',
        encodeFrame({ type: 'tick', seq: -1, t1: 0 }),
        'ERR_INVALID_MESSAGE',
      ],
      ['a server message', encodeFrame(reply(1)), 'ERR_INVALID_MESSAGE'],
      [
        'a huge length prefix',
        Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]),
        'ERR_FRAME_TOO_LARGE',
      ],
    ])(
      '%s errors messages$ with its code and closes the connection',
      async (_name, bytes, code) => {
        const { s, atServer, peer } = await receive(bytes);
        expect(atServer!.seen.error?.code).toBe(code);
        expect(atServer!.seen.messages).toEqual([]);
        expect(s.isClosed).toBe(true);
        // The peer sees the connection dropped.
        expect(peer.error?.code).toBe('ECONNRESET');
      },
    );

    it('refuses a frame one byte over a configured limit, and accepts one at the limit', async () => {
      const atLimit = encodeFrame({ type: 'bye', reason: 'x'.repeat(100) });
      const limit = atLimit.length - FRAME_HEADER_BYTES;
      const ok = await receive(atLimit, { maxFrameBytes: limit });
      expect(ok.atServer!.seen.messages).toEqual([{ type: 'bye', reason: 'x'.repeat(100) }]);
      expect(ok.s.isClosed).toBe(false);
      const over = await receive(encodeFrame({ type: 'bye', reason: 'x'.repeat(101) }), {
        maxFrameBytes: limit,
      });
      expect(over.atServer!.seen.error?.code).toBe('ERR_FRAME_TOO_LARGE');
    });

    it('delivers the good messages that came before bad bytes in the same chunk', async () => {
      const good = Buffer.concat([encodeFrame(tick(1)), encodeFrame(tick(2))]);
      for (const [bad, code] of [
        [encodeFrame({ type: 'nope' }), 'ERR_INVALID_MESSAGE'],
        [frame(Buffer.from([0xc1, 0xc1])), 'ERR_DECODE'],
        [Buffer.from([0x7f, 0xff, 0xff, 0xff]), 'ERR_FRAME_TOO_LARGE'],
      ] as const) {
        const { atServer } = await receive(Buffer.concat([good, bad, encodeFrame(tick(3))]));
        expect(atServer!.seen.messages).toEqual([tick(1), tick(2)]);
        expect(atServer!.seen.error?.code).toBe(code);
      }
    });

    it('keeps the error for a reader that subscribes later, after the messages before it', async () => {
      const { s, atServer } = await receive(
        Buffer.concat([encodeFrame(tick(1)), Buffer.from([0, 0, 0, 1, 0xc1])]),
        {
          subscribeFirst: false,
        },
      );
      expect(atServer).toBeNull();
      // Nobody was reading, so nothing was read yet: the connection is still open.
      expect(s.isClosed).toBe(false);
      const later = record(s);
      expect(later.seen.messages).toEqual([tick(1)]);
      expect(later.seen.error?.code).toBe('ERR_INVALID_MESSAGE');
      expect(s.isClosed).toBe(true);
      // And stays failed for anyone after.
      expect(record(s).seen.error?.code).toBe('ERR_INVALID_MESSAGE');
    });

    it('stops reading at the first bad frame: nothing after it is parsed', async () => {
      const seen: unknown[] = [];
      const { client, server } = await channelPair();
      const s = createFramedConnection<unknown, unknown>(server, {
        parse: (value) => {
          seen.push(value);
          return parseClientMessage(value);
        },
      });
      const at = record(s);
      client.write(Buffer.concat([encodeFrame({ type: 'bad' }), encodeFrame(tick(1))]));
      await settle();
      expect(seen).toEqual([{ type: 'bad' }]);
      expect(at.seen.error?.code).toBe('ERR_INVALID_MESSAGE');
    });
  });

  describe('ending', () => {
    it('a clean end from the peer completes messages$ after the last message', async () => {
      const { client, server } = await channelPair();
      const atServer = record(serverConnection(server));
      client.write(Buffer.concat([encodeFrame(tick(1)), encodeFrame(tick(2))]));
      client.end();
      await settle();
      expect(atServer.seen.messages).toEqual([tick(1), tick(2)]);
      expect(atServer.seen.completed).toBe(true);
      expect(atServer.seen.error).toBeNull();
    });

    it.each([
      ['half a length prefix', Buffer.from([0, 0])],
      ['a length prefix alone', Buffer.from([0, 0, 0, 5])],
      ['part of a payload', encodeFrame(tick(1)).subarray(0, 10)],
    ])('ending after %s is ERR_TRUNCATED', async (_name, bytes) => {
      const { client, server } = await channelPair();
      const s = serverConnection(server);
      const atServer = record(s);
      client.write(Buffer.concat([encodeFrame(tick(0)), bytes]));
      client.end();
      await settle();
      expect(atServer.seen.messages).toEqual([tick(0)]);
      expect(atServer.seen.error?.code).toBe('ERR_TRUNCATED');
      expect(s.isClosed).toBe(true);
    });

    it('a reset from the peer errors messages$ with ECONNRESET', async () => {
      const { client, server } = await channelPair();
      const atServer = record(serverConnection(server));
      client.destroy();
      await settle();
      expect(atServer.seen.error?.code).toBe('ECONNRESET');
    });

    it('close() sends what is queued, ends, and completes our own reader', async () => {
      const { client, server } = await channelPair();
      const peer = rawReader(server);
      const c = clientConnection(client);
      const atClient = record(c);
      c.send(tick(1));
      c.send({ type: 'bye', reason: 'done' });
      c.close();
      expect(c.isClosed).toBe(true);
      expect(atClient.seen.completed).toBe(true);
      c.send(tick(2)); // ignored once closed
      await settle();
      expect(peer.bytes).toEqual(
        Buffer.concat([encodeFrame(tick(1)), encodeFrame({ type: 'bye', reason: 'done' })]),
      );
      expect(peer.ended).toBe(true);
      expect(peer.error).toBeNull();
    });

    it('destroy() drops what is queued and resets the peer', async () => {
      const { client, server } = await channelPair();
      const peer = rawReader(server);
      const c = clientConnection(client);
      const atClient = record(c);
      c.send(tick(1));
      c.destroy();
      await settle();
      expect(atClient.seen.completed).toBe(true);
      expect(peer.bytes.length).toBe(0);
      expect(peer.error?.code).toBe('ECONNRESET');
    });

    it('a reader subscribing after close() gets the queued messages, then completion', async () => {
      const { client, server } = await channelPair();
      const s = serverConnection(server);
      const first = s.messages$.subscribe(() => first.unsubscribe());
      client.write(Buffer.concat([encodeFrame(tick(1)), encodeFrame(tick(2))]));
      await settle();
      s.close();
      const late = record(s);
      expect(late.seen.messages).toEqual([tick(2)]);
      expect(late.seen.completed).toBe(true);
    });

    it('a reader subscribing after the peer ended gets the messages, then completion', async () => {
      const { client, server } = await channelPair();
      const s = serverConnection(server);
      client.write(Buffer.concat([encodeFrame(tick(1)), encodeFrame(tick(2))]));
      client.end();
      await settle();
      const late = record(s);
      expect(late.seen.messages).toEqual([tick(1), tick(2)]);
      expect(late.seen.completed).toBe(true);
      expect(s.isClosed).toBe(true);
    });
  });

  describe('slow consumer', () => {
    it('cuts off a peer that lets more than maxSendBufferBytes wait', async () => {
      const { client, server } = await channelPair();
      serverConnection(server); // never subscribed: the server is not reading
      const c = clientConnection(client, { maxSendBufferBytes: 1000 });
      const atClient = record(c);
      let sent = 0;
      while (!c.isClosed && sent < 1000) {
        c.send(tick(sent++));
        await settle();
      }
      expect(c.isClosed).toBe(true);
      expect(atClient.seen.error?.code).toBe('ERR_SLOW_CONSUMER');
      expect(atClient.seen.error).toMatchObject({ name: 'SlowConsumerError' });
      const frameBytes = encodeFrame(tick(0)).length;
      // Cut off at the first write that left more than the limit waiting.
      expect(sent).toBe(Math.floor(1000 / frameBytes) + 1);
    });

    it('never trips while the peer keeps reading', async () => {
      const { client, server } = await channelPair();
      const atServer = record(serverConnection(server));
      const c = clientConnection(client, { maxSendBufferBytes: 100 });
      for (let i = 0; i < 100; i++) {
        c.send(tick(i));
        await settle();
      }
      expect(c.isClosed).toBe(false);
      expect(atServer.seen.messages).toHaveLength(100);
    });
  });
});
