import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { firstValueFrom, map, toArray } from 'rxjs';
import { createActor, toPromise } from 'xstate';
import { type ServerInput, selectStatus, serverMachine } from '../../src/actors/server';
import { parseTimestampTable } from '../../src/storage';
import {
  type ByteChannel,
  type ClientConnection,
  clientConnection,
  encodeFrame,
  type ServerMessage,
} from '../../src/transport';
import { advance } from '../helpers/simulation';
import { until } from '../helpers/until';
import { type SimulatedWorld, simulatedWorld } from '../helpers/world';

let world: SimulatedWorld;
beforeEach(async () => {
  world = await simulatedWorld();
});
afterEach(() => world.teardown());

const startServer = (extra: Partial<ServerInput> = {}) => world.startServer(extra);

async function connect(port: number, localAddress = '127.0.0.9'): Promise<ClientConnection> {
  return clientConnection(await world.network.connect({ host: '127.0.0.1', port, localAddress }));
}

/** Collects what the server sends until it ends the connection. */
const received = (connection: ClientConnection) =>
  firstValueFrom(
    connection.messages$.pipe(
      map(({ message }) => message),
      toArray(),
    ),
  );

async function stop(server: Awaited<ReturnType<typeof startServer>>) {
  server.actor.send({ type: 'server.stop' });
  await advance(world.time.sim, 2100, 50);
  return server.done;
}

describe('server machine', () => {
  test('answers every tick at once with t1 echoed and its own t2, t3; logs both rows', async () => {
    const server = await startServer();
    const client = await connect(server.port);
    const messages: ServerMessage[] = [];
    client.messages$.subscribe(({ message: m }) => messages.push(m));
    client.send({ type: 'hello', version: 1, intervalMs: 10 });
    await until(() => messages.length === 1);
    expect(messages[0]).toMatchObject({ type: 'welcome', clientId: 1, version: 1 });
    for (let seq = 0; seq < 5; seq++) client.send({ type: 'tick', seq, t1: 1_000 + seq });
    await until(() => messages.length === 6);
    expect(messages.slice(1)).toEqual(
      [0, 1, 2, 3, 4].map((seq) => ({
        type: 'reply',
        seq,
        t1: 1_000 + seq,
        t2: expect.any(Number),
        t3: expect.any(Number),
      })),
    );
    client.send({ type: 'bye', reason: 'done' });
    client.close();
    const summary = await stop(server);
    expect(summary.clients).toEqual([
      expect.objectContaining({ clientId: 1, ticks: 5, address: '127.0.0.9', code: 'OK' }),
    ]);
    const table = parseTimestampTable(
      await readFile(join(world.dir.path, 'server', 'serverTimeData.txt'), 'utf8'),
    );
    expect(table.rows).toHaveLength(10);
    expect(table.rows.filter((r) => r.senderIp === '127.0.0.9')).toHaveLength(5);
    expect(table.rows[0]!.timeMicros).toBe(1_000);
    expect(table.end).not.toBeNull();
  });

  test('assigns IDs: the one asked for, the next free one otherwise, and refuses one in use', async () => {
    const server = await startServer();
    const a = await connect(server.port);
    const b = await connect(server.port);
    const c = await connect(server.port);
    const [fromA, fromB, fromC] = [received(a), received(b), received(c)];
    a.send({ type: 'hello', version: 1, intervalMs: 10, clientId: 2 });
    b.send({ type: 'hello', version: 1, intervalMs: 10 });
    c.send({ type: 'hello', version: 1, intervalMs: 10, clientId: 2 });
    expect((await fromC)[0]).toMatchObject({ type: 'refused', code: 'ERR_ID_IN_USE' });
    await stop(server);
    expect((await fromA)[0]).toMatchObject({ type: 'welcome', clientId: 2 });
    expect((await fromB)[0]).toMatchObject({ type: 'welcome', clientId: 1 });
    expect((await fromA).at(-1)).toMatchObject({ type: 'bye' });
  });

  test('refuses a client beyond maxClients with ERR_SERVER_FULL', async () => {
    const server = await startServer({ maxClients: 1 });
    const a = await connect(server.port);
    const b = await connect(server.port);
    const fromB = received(b);
    a.send({ type: 'hello', version: 1, intervalMs: 10 });
    a.messages$.subscribe();
    await until(() => selectStatus(server.actor.getSnapshot()).clients === 1);
    b.send({ type: 'hello', version: 1, intervalMs: 10 });
    expect((await fromB)[0]).toMatchObject({ type: 'refused', code: 'ERR_SERVER_FULL' });
    await stop(server);
  });

  test.each([
    ['another protocol version', { version: 2, intervalMs: 10 }, 'ERR_VERSION'],
    ['an interval below the minimum', { version: 1, intervalMs: 1 }, 'ERR_INTERVAL'],
    ['an interval above the maximum (1 s)', { version: 1, intervalMs: 3_600_000 }, 'ERR_INTERVAL'],
  ])('refuses a hello with %s (%s)', async (_what, hello, code) => {
    const server = await startServer();
    const a = await connect(server.port);
    const fromA = received(a);
    a.send({ type: 'hello', ...hello });
    expect((await fromA)[0]).toMatchObject({ type: 'refused', code });
    await stop(server);
  });

  test('cuts off a client that ticks every 1 ms (ERR_RATE_LIMIT); its flood does not reach the file', async () => {
    const server = await startServer();
    const flood = await connect(server.port);
    const messages: ServerMessage[] = [];
    flood.messages$.subscribe({
      next: ({ message: m }) => messages.push(m),
      error: () => undefined,
    });
    flood.send({ type: 'hello', version: 1, intervalMs: 10 });
    await until(() => messages.length === 1);
    for (let seq = 0; seq < 200 && !flood.isClosed; seq++) {
      flood.send({ type: 'tick', seq, t1: world.time.clock.wallMicros() });
      await advance(world.time.sim, 1, 1);
    }
    await until(() => selectStatus(server.actor.getSnapshot()).served.length === 1);
    const [gone] = selectStatus(server.actor.getSnapshot()).served;
    expect(gone).toMatchObject({ clientId: 1, code: 'ERR_RATE_LIMIT' });
    // The burst allowance (20 ticks ahead of a 10 ms pace) and no more.
    expect(gone!.ticks).toBeLessThan(25);
    const summary = await stop(server);
    expect(summary.rows).toBe(2 * gone!.ticks);
  });

  test('a client ticking at its 10 ms pace with jitter is not rate-limited', async () => {
    const server = await startServer();
    const client = await connect(server.port);
    const messages: ServerMessage[] = [];
    client.messages$.subscribe(({ message: m }) => messages.push(m));
    client.send({ type: 'hello', version: 1, intervalMs: 10 });
    await until(() => messages.length === 1);
    for (let seq = 0; seq < 300; seq++) {
      client.send({ type: 'tick', seq, t1: world.time.clock.wallMicros() });
      await advance(world.time.sim, seq % 2 === 0 ? 6 : 14, 2); // late, early, late…: 10 ms on average
    }
    await until(() => messages.length === 301);
    const summary = await stop(server);
    expect(summary.clients[0]).toMatchObject({ ticks: 300, code: 'OK' });
  });

  test('ticks stamped 10 ms apart that all arrive at once are a flood: t1 is data, never pacing', async () => {
    const server = await startServer();
    const client = await connect(server.port);
    const messages: ServerMessage[] = [];
    client.messages$.subscribe({
      next: ({ message: m }) => messages.push(m),
      error: () => undefined,
    });
    client.send({ type: 'hello', version: 1, intervalMs: 10 });
    await until(() => messages.length === 1);
    // 100 ticks whose t1 claims 1 s of sending reach the server at one instant of its clock
    // (a real stall of the server is credited; see hardening/pacing.test.ts).
    const start = world.time.clock.wallMicros();
    for (let seq = 0; seq < 100; seq++)
      client.send({ type: 'tick', seq, t1: start + seq * 10_000 });
    await until(() => selectStatus(server.actor.getSnapshot()).served.length === 1);
    const summary = await stop(server);
    expect(summary.clients[0]).toMatchObject({ ticks: 20, code: 'ERR_RATE_LIMIT' });
    expect(summary.rows).toBe(40);
  });

  test('cuts off an exchanging client that goes silent, or trickles a frame a byte at a time', async () => {
    const server = await startServer();
    const client = await connect(server.port);
    const messages: ServerMessage[] = [];
    client.messages$.subscribe({
      next: ({ message: m }) => messages.push(m),
      error: () => undefined,
    });
    client.send({ type: 'hello', version: 1, intervalMs: 10 });
    await until(() => messages.length === 1);
    client.send({ type: 'tick', seq: 0, t1: 0 });
    await until(() => messages.length === 2);

    const raw = await world.network.connect({
      host: '127.0.0.1',
      port: server.port,
      localAddress: '127.0.0.77',
    });
    raw.setReceiver({ data: () => undefined, end: () => undefined, error: () => undefined });
    const hello = encodeFrame({ type: 'hello', version: 1, intervalMs: 10 });
    raw.write(hello);
    const tick = encodeFrame({ type: 'tick', seq: 0, t1: 0 });
    for (let i = 0; i < tick.length - 1; i++) {
      raw.write(tick.subarray(i, i + 1));
      await advance(world.time.sim, 1000, 100);
    }
    await until(() => selectStatus(server.actor.getSnapshot()).served.length === 2);
    expect(selectStatus(server.actor.getSnapshot()).served.map((c) => c.code)).toEqual([
      'ERR_IDLE_TIMEOUT',
      'ERR_IDLE_TIMEOUT',
    ]);
    await stop(server);
  });

  test('cuts off a connection that says nothing within the handshake timeout', async () => {
    const server = await startServer({ handshakeTimeoutMs: 1000 });
    const silent = await connect(server.port);
    const fromSilent = received(silent);
    await advance(world.time.sim, 1010, 10);
    await expect(fromSilent).resolves.toEqual([]);
    await until(() => selectStatus(server.actor.getSnapshot()).connections === 0);
    await stop(server);
  });

  test.each([
    ['garbage bytes', Buffer.from('GET / HTTP/1.1\r\n\r\n')],
    ['a huge length prefix', Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3])],
    ['valid msgpack of the wrong shape', encodeFrame({ type: 'tick', seq: -1, t1: 'yesterday' })],
    ['a tick before the hello', encodeFrame({ type: 'tick', seq: 0, t1: 5 })],
  ])('cuts off a client that sends %s; an honest client notices nothing', async (_name, bytes) => {
    const server = await startServer();
    const honest = await connect(server.port, '127.0.0.2');
    const honestMessages: ServerMessage[] = [];
    honest.messages$.subscribe(({ message: m }) => honestMessages.push(m));
    honest.send({ type: 'hello', version: 1, intervalMs: 10 });
    await until(() => honestMessages.length === 1);

    const raw: ByteChannel = await world.network.connect({
      host: '127.0.0.1',
      port: server.port,
      localAddress: '127.0.0.66',
    });
    let hostileClosed = false;
    raw.setReceiver({
      data: () => undefined,
      end: () => (hostileClosed = true),
      error: () => (hostileClosed = true),
    });
    raw.write(bytes);
    await until(() => hostileClosed);

    for (let seq = 0; seq < 3; seq++) honest.send({ type: 'tick', seq, t1: seq });
    await until(() => honestMessages.length === 4);
    const summary = await stop(server);
    expect(summary.clients.map((c) => c.clientId)).toEqual([1]);
    expect(summary.rows).toBe(6);
  });

  test('on stop, every client is told bye and the file gets its footer', async () => {
    const server = await startServer();
    const clients = await Promise.all([connect(server.port), connect(server.port)]);
    const all = clients.map(received);
    for (const client of clients) client.send({ type: 'hello', version: 1, intervalMs: 10 });
    await until(() => selectStatus(server.actor.getSnapshot()).clients === 2);
    server.actor.send({ type: 'server.stop', reason: 'maintenance' });
    for (const messages of await Promise.all(all)) {
      expect(messages.at(-1)).toEqual({ type: 'bye', reason: 'maintenance' });
    }
    await advance(world.time.sim, 100);
    const summary = await server.done;
    expect(server.actor.getSnapshot().value).toBe('stopped');
    expect(summary.clients).toHaveLength(2);
    const table = parseTimestampTable(await readFile(summary.file, 'utf8'));
    expect(table.endedAbruptly).toBe(false);
  });

  test('a port in use fails the server with EADDRINUSE and still finishes its file', async () => {
    const first = await startServer();
    const second = createActor(serverMachine, {
      clock: world.time.sim,
      input: {
        transport: world.network,
        host: '127.0.0.1',
        port: first.port,
        outDir: join(world.dir.path, 'b'),
        clock: world.time.clock,
      },
    });
    const done = toPromise(second);
    second.start();
    const summary = await done;
    expect(summary.outcome).toBe('failed');
    expect(summary.error?.code).toBe('EADDRINUSE');
    const table = parseTimestampTable(await readFile(summary.file, 'utf8'));
    expect(table.end?.endedEarly).toMatch(/in use/);
    await stop(first);
  });
});
