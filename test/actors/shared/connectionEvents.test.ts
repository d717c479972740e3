import { connectionEvents } from '../../../src/actors/shared';
import {
  type ByteChannel,
  type ClientMessage,
  clientConnection,
  createMemoryNetwork,
  type ServerMessage,
  serverConnection,
} from '../../../src/transport';

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

async function pair() {
  const network = createMemoryNetwork();
  const listener = await network.listen({ host: '127.0.0.1', port: 0 });
  const accepted: ByteChannel[] = [];
  listener.accept((channel) => accepted.push(channel));
  const channel = await network.connect({ host: '127.0.0.1', port: listener.port });
  let ticks = 0;
  const stamp = () => ({ wallMicros: 1_000_000 + ticks, monoMs: ticks++ });
  return {
    client: clientConnection(channel, { stamp }),
    server: serverConnection(accepted[0]!),
  };
}

describe('connectionEvents: one event per wire message', () => {
  test('each message becomes `<prefix>.<type>` with the message and its arrival stamp', async () => {
    const { client, server } = await pair();
    const events: unknown[] = [];
    connectionEvents<'server', ServerMessage>('server', client, {
      closedMessage: 'server closed the connection',
    }).subscribe((event) => events.push(event));
    server.send({ type: 'welcome', version: 1, clientId: 3, serverTime: 5 });
    await settle();
    server.send({ type: 'reply', seq: 0, t1: 1, t2: 2, t3: 3 });
    await settle();
    expect(events).toEqual([
      {
        type: 'server.welcome',
        message: { type: 'welcome', version: 1, clientId: 3, serverTime: 5 },
        at: { wallMicros: 1_000_000, monoMs: 0 },
      },
      {
        type: 'server.reply',
        message: { type: 'reply', seq: 0, t1: 1, t2: 2, t3: 3 },
        at: { wallMicros: 1_000_001, monoMs: 1 },
      },
    ]);
  });

  test('a clean end is connection.lost with ERR_CONNECTION_CLOSED; a bad frame keeps its code', async () => {
    const clean = await pair();
    const cleanEvents: Array<{ type: string; error?: { code: string } }> = [];
    connectionEvents<'server', ServerMessage>('server', clean.client, {
      closedMessage: 'closed',
    }).subscribe((event) => cleanEvents.push(event));
    clean.server.close();
    await settle();
    expect(cleanEvents).toEqual([
      { type: 'connection.lost', error: { code: 'ERR_CONNECTION_CLOSED', message: 'closed' } },
    ]);

    const broken = await pair();
    const brokenEvents: Array<{ type: string; error?: { code: string } }> = [];
    connectionEvents<'server', ServerMessage>('server', broken.client, {
      closedMessage: 'closed',
    }).subscribe((event) => brokenEvents.push(event));
    // A message the client's schema does not know.
    (broken.server as unknown as { send(m: unknown): void }).send({ type: 'nonsense' });
    await settle();
    expect(brokenEvents).toHaveLength(1);
    expect(brokenEvents[0]?.type).toBe('connection.lost');
    expect(brokenEvents[0]?.error?.code).toBe('ERR_INVALID_MESSAGE');
  });

  test('with `count`, what follows the first messages stays queued for the next reader', async () => {
    const { client, server } = await pair();
    // Three frames in one write: the hello reader takes one, the next reader gets the rest.
    client.send({ type: 'hello', version: 1, intervalMs: 10 });
    client.send({ type: 'tick', seq: 0, t1: 1 });
    client.send({ type: 'tick', seq: 1, t1: 2 });
    const first: string[] = [];
    let completed = false;
    connectionEvents<'client', ClientMessage>('client', server, {
      closedMessage: 'closed',
      count: 1,
    }).subscribe({
      next: (event) => first.push(event.type),
      complete: () => {
        completed = true;
      },
    });
    await settle();
    expect(first).toEqual(['client.hello']);
    expect(completed).toBe(true);

    const rest: string[] = [];
    connectionEvents<'client', ClientMessage>('client', server, {
      closedMessage: 'closed',
    }).subscribe((event) => rest.push(event.type));
    await settle();
    expect(rest).toEqual(['client.tick', 'client.tick']);
    client.close();
    await settle();
    expect(rest).toEqual(['client.tick', 'client.tick', 'connection.lost']);
  });

  test('a reader with `count` that starts while messages are queued takes only its share', async () => {
    const { client, server } = await pair();
    // Four frames in one write, before anyone reads: each step of a handshake reads one.
    client.send({ type: 'hello', version: 1, intervalMs: 10 });
    client.send({ type: 'auth', proof: Buffer.alloc(32, 1) });
    client.send({ type: 'tick', seq: 0, t1: 1 });
    client.send({ type: 'tick', seq: 1, t1: 2 });
    const read = (count?: number) => {
      const types: string[] = [];
      connectionEvents<'client', ClientMessage>('client', server, {
        closedMessage: 'closed',
        ...(count !== undefined ? { count } : {}),
      }).subscribe((event) => types.push(event.type));
      return types;
    };
    const hello = read(1);
    await settle();
    expect(hello).toEqual(['client.hello']);
    // The auth is already queued in the connection when this reader subscribes.
    const auth = read(1);
    expect(auth).toEqual(['client.auth']);
    const rest = read();
    await settle();
    expect(rest).toEqual(['client.tick', 'client.tick']);
  });
});
