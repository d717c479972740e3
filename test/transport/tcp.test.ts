import { firstValueFrom, map, take, toArray } from 'rxjs';
import {
  type ByteChannel,
  type ChannelListener,
  type Connection,
  clientConnection,
  createFramedConnection,
  encodeFrame,
  normalizeAddress,
  serverConnection,
  type TransportError,
  tcpTransport,
} from '../../src/transport';

const HOST = '127.0.0.1';

// Everything a test opens is registered here the moment it exists, and torn down after it.
let teardown: Array<() => unknown> = [];
afterEach(async () => {
  const steps = teardown.reverse();
  teardown = [];
  for (const step of steps) await step();
});

async function listen(): Promise<{ listener: ChannelListener; next: () => Promise<ByteChannel> }> {
  const listener = await tcpTransport.listen({ host: HOST, port: 0 });
  teardown.push(() => listener.close());
  const waiting: Array<(channel: ByteChannel) => void> = [];
  const arrived: ByteChannel[] = [];
  listener.accept((channel) => {
    teardown.push(() => channel.destroy());
    const resolve = waiting.shift();
    if (resolve) resolve(channel);
    else arrived.push(channel);
  });
  const next = () => {
    const ready = arrived.shift();
    return ready
      ? Promise.resolve(ready)
      : new Promise<ByteChannel>((resolve) => waiting.push(resolve));
  };
  return { listener, next };
}

async function connect(port: number, localAddress?: string): Promise<ByteChannel> {
  const channel = await tcpTransport.connect({
    host: HOST,
    port,
    ...(localAddress ? { localAddress } : {}),
  });
  teardown.push(() => channel.destroy());
  return channel;
}

/** Resolves with how messages$ ends: its code, or 'complete'. */
function ending(connection: Connection<unknown, unknown>): Promise<string> {
  return new Promise((resolve) =>
    connection.messages$.subscribe({
      error: (e: TransportError) => resolve(e.code),
      complete: () => resolve('complete'),
    }),
  );
}

async function rejection(promise: Promise<unknown>): Promise<TransportError> {
  try {
    await promise;
  } catch (error) {
    return error as TransportError;
  }
  throw new Error('expected a rejection');
}

describe('tcpTransport', () => {
  it('listens on port 0 and reports the port the OS chose', async () => {
    const { listener } = await listen();
    expect(listener.host).toBe(HOST);
    expect(listener.port).toBeGreaterThan(0);
  });

  it('exchanges framed messages both ways', async () => {
    const { listener, next } = await listen();
    const client = clientConnection(await connect(listener.port));
    const server = serverConnection(await next());

    client.send({ type: 'hello', version: 1, clientId: 7, intervalMs: 10 });
    for (let seq = 0; seq < 50; seq++)
      client.send({ type: 'tick', seq, t1: 1_795_479_133_000_000 + seq });
    const atServer = await firstValueFrom(
      server.messages$.pipe(
        map(({ message }) => message),
        take(51),
        toArray(),
      ),
    );
    expect(atServer[0]).toEqual({ type: 'hello', version: 1, clientId: 7, intervalMs: 10 });
    expect(atServer.slice(1).map((m) => (m.type === 'tick' ? m.seq : -1))).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );

    server.send({ type: 'welcome', version: 1, clientId: 7, serverTime: 1_795_479_133_000_001 });
    for (const m of atServer) {
      if (m.type === 'tick')
        server.send({ type: 'reply', seq: m.seq, t1: m.t1, t2: m.t1 + 10, t3: m.t1 + 11 });
    }
    const atClient = await firstValueFrom(
      client.messages$.pipe(
        map(({ message }) => message),
        take(51),
        toArray(),
      ),
    );
    expect(atClient[0]).toEqual({
      type: 'welcome',
      version: 1,
      clientId: 7,
      serverTime: 1_795_479_133_000_001,
    });
    expect(atClient[50]).toEqual({
      type: 'reply',
      seq: 49,
      t1: 1_795_479_133_000_049,
      t2: 1_795_479_133_000_059,
      t3: 1_795_479_133_000_060,
    });

    // A clean goodbye: the server sees the client's last message, then the end.
    const serverEnd = ending(server);
    client.send({ type: 'bye', reason: 'done' });
    client.close();
    expect(await serverEnd).toBe('complete');
  });

  it('reassembles a frame far larger than one TCP segment', async () => {
    const { listener, next } = await listen();
    const anything = { parse: (value: unknown) => value };
    const sender = createFramedConnection<unknown, unknown>(await connect(listener.port), anything);
    const receiver = createFramedConnection<unknown, unknown>(await next(), anything);
    const big = { blob: Buffer.alloc(900_000, 0xab), n: 1 };
    sender.send(big);
    sender.send({ n: 2 });
    const [first, second] = await firstValueFrom(
      receiver.messages$.pipe(
        map(({ message }) => message),
        take(2),
        toArray(),
      ),
    );
    expect(Buffer.compare((first as { blob: Buffer }).blob, big.blob)).toBe(0);
    expect(second).toEqual({ n: 2 });
  });

  it('a client bound to 127.0.0.2 shows as 127.0.0.2 on the server side', async () => {
    const { listener, next } = await listen();
    const client = clientConnection(await connect(listener.port, '127.0.0.2'));
    const server = serverConnection(await next());
    expect(client.localAddress).toBe('127.0.0.2');
    expect(client.remoteAddress).toBe(HOST);
    expect(client.remotePort).toBe(listener.port);
    expect(server.remoteAddress).toBe('127.0.0.2');
    expect(server.remotePort).toBe(client.localPort);
    expect(server.localAddress).toBe(HOST);
  });

  it('connecting to a closed port rejects with ECONNREFUSED', async () => {
    const listener = await tcpTransport.listen({ host: HOST, port: 0 });
    const { port } = listener;
    await listener.close();
    const error = await rejection(tcpTransport.connect({ host: HOST, port }));
    expect(error).toMatchObject({ name: 'ConnectionError', code: 'ECONNREFUSED' });
  });

  it('an aborted connect rejects with ABORT_ERR', async () => {
    const { listener } = await listen();
    const error = await rejection(
      tcpTransport.connect({ host: HOST, port: listener.port, signal: AbortSignal.abort() }),
    );
    expect(error.code).toBe('ABORT_ERR');
  });

  it('listening on a port in use rejects with EADDRINUSE', async () => {
    const { listener } = await listen();
    const error = await rejection(tcpTransport.listen({ host: HOST, port: listener.port }));
    expect(error.code).toBe('EADDRINUSE');
  });

  it('garbage from the peer errors messages$ with its code and drops the connection', async () => {
    const { listener, next } = await listen();
    const raw = await connect(listener.port);
    const server = serverConnection(await next());
    const peerSaw = new Promise<string>((resolve) =>
      raw.setReceiver({ data: () => {}, end: () => resolve('end'), error: (e) => resolve(e.code) }),
    );
    const serverEnd = ending(server);
    raw.write(
      Buffer.concat([
        encodeFrame({ type: 'tick', seq: 1, t1: 1 }),
        Buffer.from([0, 0, 0, 1, 0xc1]),
      ]),
    );
    expect(await serverEnd).toBe('ERR_INVALID_MESSAGE');
    expect(server.isClosed).toBe(true);
    expect(['end', 'ECONNRESET', 'ERR_CONNECTION_CLOSED']).toContain(await peerSaw);
  });

  it('an oversized length prefix is refused at once', async () => {
    const { listener, next } = await listen();
    const raw = await connect(listener.port);
    const server = serverConnection(await next(), { maxFrameBytes: 64 * 1024 });
    const serverEnd = ending(server);
    raw.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    expect(await serverEnd).toBe('ERR_FRAME_TOO_LARGE');
  });

  it('a frame cut off by the end of the stream is ERR_TRUNCATED', async () => {
    const { listener, next } = await listen();
    const raw = await connect(listener.port);
    const server = serverConnection(await next());
    const serverEnd = ending(server);
    raw.write(Buffer.from([0, 0, 0, 9]));
    raw.end();
    expect(await serverEnd).toBe('ERR_TRUNCATED');
  });

  it('a peer that resets errors messages$ with a connection code', async () => {
    const { listener, next } = await listen();
    const raw = await connect(listener.port);
    const server = serverConnection(await next());
    const serverEnd = ending(server);
    raw.destroy();
    expect(['ECONNRESET', 'ERR_CONNECTION_CLOSED', 'complete']).toContain(await serverEnd);
  });

  describe('channels and listeners', () => {
    it('holds connections that arrive before accept() is called', async () => {
      const listener = await tcpTransport.listen({ host: HOST, port: 0 });
      teardown.push(() => listener.close());
      const client = clientConnection(await connect(listener.port));
      client.send({ type: 'tick', seq: 1, t1: 2 });
      const accepted = new Promise<ByteChannel>((resolve) => listener.accept(resolve));
      const channel = await accepted;
      teardown.push(() => channel.destroy());
      expect((await firstValueFrom(serverConnection(channel).messages$)).message).toEqual({
        type: 'tick',
        seq: 1,
        t1: 2,
      });
    });

    it('close() resolves while connections are open, and leaves them working', async () => {
      const { listener, next } = await listen();
      const client = clientConnection(await connect(listener.port));
      const server = serverConnection(await next());
      await listener.close();
      await expect(
        rejection(tcpTransport.connect({ host: HOST, port: listener.port })),
      ).resolves.toMatchObject({
        code: 'ECONNREFUSED',
      });
      client.send({ type: 'bye', reason: 'still here' });
      expect((await firstValueFrom(server.messages$)).message).toEqual({
        type: 'bye',
        reason: 'still here',
      });
    });

    it('close() ends connections that were never handed to a handler', async () => {
      const listener = await tcpTransport.listen({ host: HOST, port: 0 });
      teardown.push(() => listener.close());
      const raw = await connect(listener.port);
      const peerSaw = new Promise<string>((resolve) =>
        raw.setReceiver({
          data: () => {},
          end: () => resolve('end'),
          error: (e) => resolve(e.code),
        }),
      );
      // Held by the listener (no accept handler) or still in the kernel's backlog: either way
      // nobody owns it, and closing the listener must not leave it open.
      await listener.close();
      expect(['end', 'ECONNRESET', 'ERR_CONNECTION_CLOSED']).toContain(await peerSaw);
    }, 5000);

    it('replacing a channel’s receiver does not deliver bytes twice', async () => {
      const { listener, next } = await listen();
      const raw = await connect(listener.port);
      const server = await next();
      const chunks: Buffer[] = [];
      server.setReceiver({ data: (c) => chunks.push(c), end: () => {}, error: () => {} });
      const ended = new Promise<void>((resolve) =>
        server.setReceiver({ data: (c) => chunks.push(c), end: resolve, error: () => resolve() }),
      );
      raw.write(Buffer.from('abc'));
      raw.end();
      await ended;
      expect(Buffer.concat(chunks).toString()).toBe('abc');
    });

    it('reports IPv4 peers of a dual-stack listener in plain dotted form', async () => {
      let listener: ChannelListener;
      try {
        listener = await tcpTransport.listen({ host: '::', port: 0 });
      } catch {
        return; // no IPv6 on this host: nothing to normalize
      }
      teardown.push(() => listener.close());
      const accepted = new Promise<ByteChannel>((resolve) => listener.accept(resolve));
      await connect(listener.port);
      const channel = await accepted;
      teardown.push(() => channel.destroy());
      expect(channel.remoteAddress).toBe(HOST);
      expect(channel.localAddress).toBe(HOST);
      expect(normalizeAddress('::ffff:127.0.0.2')).toBe('127.0.0.2');
      expect(normalizeAddress('::1')).toBe('::1');
      expect(normalizeAddress(undefined)).toBe('unknown');
    });
  });
});
