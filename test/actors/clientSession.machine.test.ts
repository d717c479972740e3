import { readFile } from 'node:fs/promises';
import { type ClientSessionInput, selectProgress } from '../../src/actors/client';
import { parseExchangeLog, parseTimestampTable } from '../../src/storage';
import {
  type ClientMessage,
  createFramedConnection,
  parseClientMessage,
  type ServerMessage,
  type Tick,
} from '../../src/transport';
import { advance, scriptedServer, settle, welcome } from '../helpers/simulation';
import { until } from '../helpers/until';
import { type SimulatedWorld, simulatedWorld } from '../helpers/world';

let world: SimulatedWorld;
beforeEach(async () => {
  world = await simulatedWorld();
});
afterEach(() => world.teardown());

const startSession = (
  input: Partial<ClientSessionInput> & { server: { host: string; port: number } },
) => world.startClient(input);
const startServer = () => world.startServer();

const ticking = (actor: ReturnType<typeof startSession>['actor']) => () =>
  actor.getSnapshot().matches({ session: 'ticking' });

describe('client session on simulated time', () => {
  test('a 5-minute session at 10 ms sends exactly 30,000 ticks and ends in done', async () => {
    const server = await startServer();
    const session = startSession({
      server: { host: '127.0.0.1', port: server.port },
      requestedId: 7,
    });
    await until(ticking(session.actor));

    await advance(world.time.sim, 5 * 60_000 + 10, 10);
    await until(() => session.actor.getSnapshot().status === 'done');
    const summary = await session.done;

    expect(session.actor.getSnapshot().value).toBe('done');
    expect(summary).toMatchObject({
      outcome: 'done',
      clientId: 7,
      plannedTicks: 30_000,
      ticksSent: 30_000,
      replies: 30_000,
      lost: 0,
      missedSlots: 0,
      endedEarly: null,
      error: null,
    });
    expect(summary.durationMs).toBe(5 * 60_000);

    const table = parseTimestampTable(await readFile(summary.files!.table, 'utf8'));
    expect(table.rows).toHaveLength(60_000);
    expect(table.end).toMatchObject({ durationText: '5 minutes', durationMs: 300_000 });
    expect(table.end?.endedEarly).toBeUndefined();
    // Ticks go client → server, replies server → client, alternating on an idle in-memory link.
    expect(
      table.rows.filter((r) => r.senderIp === '127.0.0.1' && r.receiverIp === '127.0.0.1'),
    ).toHaveLength(60_000);
    const sidecar = parseExchangeLog(await readFile(summary.files!.exchanges, 'utf8'));
    expect(sidecar.records).toHaveLength(30_000);
    expect(sidecar.records.map((r) => r.seq)).toEqual(Array.from({ length: 30_000 }, (_, i) => i));
    expect(sidecar.records.every((r) => r.t2 !== null && r.t4 !== null)).toBe(true);

    server.actor.send({ type: 'server.stop' });
    await advance(world.time.sim, 100);
    const served = await server.done;
    expect(served.clients).toEqual([
      expect.objectContaining({ clientId: 7, ticks: 30_000, code: 'OK' }),
    ]);
    expect(served.rows).toBe(60_000);
  }, 60_000);

  test('the deadline is a delayed transition: nothing is sent after it', async () => {
    const server = await startServer();
    const session = startSession({
      server: { host: '127.0.0.1', port: server.port },
      durationMs: 1000,
    });
    await until(ticking(session.actor));
    await advance(world.time.sim, 990, 10);
    expect(session.actor.getSnapshot().matches({ session: 'ticking' })).toBe(true);
    expect(selectProgress(session.actor.getSnapshot()).ticksSent).toBe(100);
    await advance(world.time.sim, 20, 10);
    await until(() => session.actor.getSnapshot().status === 'done');
    expect((await session.done).ticksSent).toBe(100);
  });

  test('a connection refused is retried with backoff, then connects', async () => {
    const port = 41_234;
    const session = startSession({
      server: { host: '127.0.0.1', port },
      durationMs: 100,
      retry: { attempts: 4, initialDelayMs: 100, maxDelayMs: 1000 },
    });
    await until(() => session.actor.getSnapshot().matches('waitingToRetry'));
    expect(selectProgress(session.actor.getSnapshot()).connectAttempts).toBe(1);
    await advance(world.time.sim, 100);
    await until(() => session.actor.getSnapshot().matches('waitingToRetry'));
    expect(selectProgress(session.actor.getSnapshot()).connectAttempts).toBe(2);

    // The server comes up, on the port the client wants, while it waits out its second backoff.
    const listener = await world.network.listen({ host: '127.0.0.1', port });
    listener.accept((channel) => {
      const connection = createFramedConnection<ClientMessage, ServerMessage>(channel, {
        parse: parseClientMessage,
      });
      connection.messages$.subscribe(({ message }) => {
        if (message.type === 'hello') connection.send(welcome(1));
        if (message.type === 'tick')
          connection.send({ type: 'reply', seq: message.seq, t1: message.t1, t2: 1, t3: 2 });
      });
    });
    await advance(world.time.sim, 200);
    await until(ticking(session.actor));
    await advance(world.time.sim, 110);
    await until(() => session.actor.getSnapshot().status === 'done');
    const summary = await session.done;
    expect(summary).toMatchObject({ outcome: 'done', ticksSent: 10, replies: 10 });
    expect(selectProgress(session.actor.getSnapshot()).connectAttempts).toBe(3);
  });

  test('gives up after the last attempt with the connect error code', async () => {
    const session = startSession({
      server: { host: '127.0.0.1', port: 41_999 },
      retry: { attempts: 3, initialDelayMs: 50, maxDelayMs: 1000 },
    });
    await advance(world.time.sim, 50 + 100 + 10);
    await until(() => session.actor.getSnapshot().status === 'done');
    const summary = await session.done;
    expect(session.actor.getSnapshot().value).toBe('failed');
    expect(summary.error?.code).toBe('ECONNREFUSED');
    expect(summary.files).toBeNull();
  });

  test('a server that never answers the hello fails the handshake after its timeout', async () => {
    const silent = await scriptedServer(world.network, () => undefined);
    const session = startSession({
      server: { host: '127.0.0.1', port: silent.port },
      handshakeTimeoutMs: 3000,
    });
    await until(() => session.actor.getSnapshot().matches({ session: 'handshaking' }));
    await advance(world.time.sim, 2990, 10);
    expect(session.actor.getSnapshot().matches({ session: 'handshaking' })).toBe(true);
    await advance(world.time.sim, 20, 10);
    await until(() => session.actor.getSnapshot().status === 'done');
    expect(session.actor.getSnapshot().value).toBe('failed');
    expect((await session.done).error?.code).toBe('ERR_TIMEOUT');
  });

  test('a refusal from the server fails the session with the server’s code', async () => {
    const refusing = await scriptedServer(world.network, (message, connection) => {
      if (message.type === 'hello')
        connection.send({ type: 'refused', code: 'ERR_ID_IN_USE', reason: 'taken' });
    });
    const session = startSession({
      server: { host: '127.0.0.1', port: refusing.port },
      requestedId: 2,
    });
    await until(() => session.actor.getSnapshot().status === 'done');
    expect((await session.done).error?.code).toBe('ERR_ID_IN_USE');
  });

  test('each tick acknowledges the replies read on this connection (ack)', async () => {
    const acks: (number | undefined)[] = [];
    const halfAnswering = await scriptedServer(world.network, (message, connection) => {
      if (message.type === 'hello') connection.send(welcome(4));
      if (message.type !== 'tick') return;
      acks.push(message.ack);
      // Only even ticks are answered: the count of replies read, not the seq, is the ack.
      if (message.seq % 2 === 0)
        connection.send({ type: 'reply', seq: message.seq, t1: message.t1, t2: 1, t3: 2 });
    });
    const session = startSession({
      server: { host: '127.0.0.1', port: halfAnswering.port },
      durationMs: 100,
    });
    await until(ticking(session.actor));
    await advance(world.time.sim, 2200);
    await until(() => session.actor.getSnapshot().status === 'done');
    expect(acks).toEqual([0, 1, 1, 2, 2, 3, 3, 4, 4, 5]);
  });

  test('server gone mid-session: the files are finished and the footer says why', async () => {
    let ticks = 0;
    const flaky = await scriptedServer(world.network, (message, connection) => {
      if (message.type === 'hello') connection.send(welcome(3));
      if (message.type !== 'tick') return;
      ticks += 1;
      if (ticks === 50) connection.destroy();
      else connection.send({ type: 'reply', seq: message.seq, t1: message.t1, t2: 1, t3: 2 });
    });
    const session = startSession({
      server: { host: '127.0.0.1', port: flaky.port },
      durationMs: 10_000,
      reconnect: { attempts: 0 },
    });
    await until(ticking(session.actor));
    await advance(world.time.sim, 600);
    await until(() => session.actor.getSnapshot().status === 'done');
    const summary = await session.done;
    expect(session.actor.getSnapshot().value).toBe('failed');
    expect(summary.error?.code).toBe('ECONNRESET');
    expect(summary).toMatchObject({ ticksSent: 50, replies: 49, lost: 1 });
    const table = parseTimestampTable(await readFile(summary.files!.table, 'utf8'));
    expect(table.rows).toHaveLength(99);
    expect(table.end?.endedEarly).toMatch(/reset/i);
    expect(table.end?.durationMs).toBe(490);
    const sidecar = parseExchangeLog(await readFile(summary.files!.exchanges, 'utf8'));
    expect(sidecar.records.filter((r) => r.t4 === null).map((r) => r.seq)).toEqual([49]);
    expect(sidecar.end?.endedEarly).toMatch(/reset/i);
  });

  test('the real server stopping mid-session ends the client with ERR_SERVER_BYE', async () => {
    const server = await startServer();
    const session = startSession({
      server: { host: '127.0.0.1', port: server.port },
      durationMs: 10_000,
    });
    await until(ticking(session.actor));
    await advance(world.time.sim, 500);
    server.actor.send({ type: 'server.stop', reason: 'maintenance' });
    await settle();
    // It tries to come back 5 times (250 ms, doubling) while the grid keeps its schedule.
    await until(() =>
      session.actor.getSnapshot().matches({ session: { ticking: 'reconnecting' } }),
    );
    await advance(world.time.sim, 8000, 10);
    await until(() => session.actor.getSnapshot().status === 'done');
    const summary = await session.done;
    expect(summary.error?.code).toBe('ERR_SERVER_BYE');
    expect(summary.error?.message).toMatch(/reconnecting failed after 5 attempts/);
    expect(summary.reconnections).toBe(0);
    expect(summary.offlineSlots).toBeGreaterThan(700);
    const table = parseTimestampTable(await readFile(summary.files!.table, 'utf8'));
    expect(table.end?.endedEarly).toContain('maintenance');
    await advance(world.time.sim, 100);
    expect((await server.done).outcome).toBe('stopped');
  });

  test('reconnects after the connection drops and resumes on the same grid, no burst', async () => {
    let connections = 0;
    const seqs: number[][] = [];
    const askedFor: (number | undefined)[] = [];
    const flaky = await scriptedServer(world.network, (message, connection) => {
      if (message.type === 'hello') {
        connections += 1;
        seqs.push([]);
        askedFor.push(message.clientId);
        connection.send(welcome(6));
      }
      if (message.type !== 'tick') return;
      seqs.at(-1)!.push(message.seq);
      if (connections === 1 && message.seq === 49)
        connection.destroy(); // the first link dies
      else connection.send({ type: 'reply', seq: message.seq, t1: message.t1, t2: 1, t3: 2 });
    });
    const session = startSession({
      server: { host: '127.0.0.1', port: flaky.port },
      durationMs: 2000,
      reconnect: { attempts: 3, initialDelayMs: 100, maxDelayMs: 1000 },
    });
    await until(ticking(session.actor));
    await advance(world.time.sim, 2010);
    await until(() => session.actor.getSnapshot().status === 'done');
    const summary = await session.done;

    expect(summary).toMatchObject({
      outcome: 'done',
      clientId: 6,
      reconnections: 1,
      endedEarly: null,
    });
    expect(askedFor).toEqual([undefined, 6]); // back under the same ID, to the same files
    expect(summary.ticksSent + summary.offlineSlots + summary.missedSlots).toBe(200);
    expect(summary.offlineSlots).toBeGreaterThanOrEqual(10); // 100 ms of backoff at 10 ms a slot
    expect(summary.lost).toBe(1); // the tick whose link died under it
    // After the gap the grid goes on where the clock is: no catch-up burst.
    const [first, second] = seqs as [number[], number[]];
    expect(first.at(-1)).toBe(49);
    expect(second[0]! - 49).toBe(summary.offlineSlots + 1);
    expect(second).toEqual(Array.from({ length: second.length }, (_, i) => second[0]! + i));

    const table = parseTimestampTable(await readFile(summary.files!.table, 'utf8'));
    expect(table.rows).toHaveLength(summary.ticksSent + summary.replies);
    expect(table.end?.notes).toBe(
      `1 reconnection, ${summary.offlineSlots} slots skipped while disconnected`,
    );
    expect(table.end?.endedEarly).toBeUndefined();
  });

  test('draining waits for replies still in flight, then ends done with none lost', async () => {
    const held: Tick[] = [];
    let release: ((tick: Tick) => void) | null = null;
    const slow = await scriptedServer(world.network, (message, connection) => {
      if (message.type === 'hello') connection.send(welcome(4));
      if (message.type !== 'tick') return;
      const reply = (tick: Tick) =>
        connection.send({ type: 'reply', seq: tick.seq, t1: tick.t1, t2: 1, t3: 2 });
      release = reply;
      // Replies to the last three ticks are held back past the deadline.
      if (message.seq >= 97) held.push(message);
      else reply(message);
    });
    const session = startSession({
      server: { host: '127.0.0.1', port: slow.port },
      durationMs: 1000,
      drainTimeoutMs: 500,
    });
    await until(ticking(session.actor));
    await advance(world.time.sim, 1010);
    expect(session.actor.getSnapshot().matches({ session: 'draining' })).toBe(true);
    expect(selectProgress(session.actor.getSnapshot()).inFlight).toBe(3);
    await advance(world.time.sim, 100);
    for (const tick of held) release!(tick);
    await until(() => session.actor.getSnapshot().status === 'done');
    const summary = await session.done;
    expect(summary).toMatchObject({ outcome: 'done', ticksSent: 100, replies: 100, lost: 0 });
  });

  test('draining gives up after its timeout and counts the rest as lost', async () => {
    const lossy = await scriptedServer(world.network, (message, connection) => {
      if (message.type === 'hello') connection.send(welcome(5));
      if (message.type === 'tick' && message.seq % 10 !== 9) {
        connection.send({ type: 'reply', seq: message.seq, t1: message.t1, t2: 1, t3: 2 });
      }
    });
    const session = startSession({
      server: { host: '127.0.0.1', port: lossy.port },
      durationMs: 1000,
      drainTimeoutMs: 300,
    });
    await until(ticking(session.actor));
    await advance(world.time.sim, 1010);
    expect(session.actor.getSnapshot().matches({ session: 'draining' })).toBe(true);
    await advance(world.time.sim, 300);
    await until(() => session.actor.getSnapshot().status === 'done');
    const summary = await session.done;
    expect(summary).toMatchObject({ outcome: 'done', ticksSent: 100, replies: 90, lost: 10 });
    const sidecar = parseExchangeLog(await readFile(summary.files!.exchanges, 'utf8'));
    expect(sidecar.records).toHaveLength(100);
    expect(sidecar.records.filter((r) => r.t2 === null)).toHaveLength(10);
  });

  test('session.stop while ticking drains, finishes the files and ends done, early', async () => {
    const server = await startServer();
    const session = startSession({
      server: { host: '127.0.0.1', port: server.port },
      durationMs: 60_000,
    });
    await until(ticking(session.actor));
    await advance(world.time.sim, 2000);
    session.actor.send({ type: 'session.stop', reason: 'stopped by SIGINT' });
    await until(() => session.actor.getSnapshot().status === 'done');
    const summary = await session.done;
    // Slots 0..200 were due by t = 2000 ms.
    expect(summary).toMatchObject({
      outcome: 'done',
      endedEarly: { code: 'ERR_STOPPED', message: 'stopped by SIGINT' },
      ticksSent: 201,
      lost: 0,
    });
    const table = parseTimestampTable(await readFile(summary.files!.table, 'utf8'));
    expect(table.end).toMatchObject({ durationMs: 2000, endedEarly: 'stopped by SIGINT' });
    server.actor.send({ type: 'server.stop' });
    await advance(world.time.sim, 100);
    await server.done;
  });
});
