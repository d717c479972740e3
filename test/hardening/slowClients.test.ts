import { join } from 'node:path';
import { selectProgress } from '../../src/actors/client';
import type { ServedClient } from '../../src/actors/server';
import { acquireStallMeter, systemClock } from '../../src/time';
import { encodeFrame } from '../../src/transport';
import { type FaultProxy, startFaultProxy } from '../helpers/faultProxy';
import {
  captureLogger,
  readTable,
  rowsFrom,
  type startTcpClient,
  type TcpServer,
} from '../helpers/tcp';
import { tcpWorld } from '../helpers/tcpWorld';
import { sleep, until } from '../helpers/until';

// Short limits, given as input, so that each cut happens within a second.
const HANDSHAKE_TIMEOUT_MS = 400;
const IDLE_TIMEOUT_MS = 500;
const HONEST_MS = 1500;
const HONEST_IP = '127.0.0.2';

const world = tcpWorld('timeswarm-slow-');
let proxy: FaultProxy | null = null;

afterEach(async () => {
  await proxy?.close();
  proxy = null;
});

async function start() {
  const log = captureLogger();
  const server = await world.startServer({
    outDir: join(world.dir, 'server'),
    handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
    limits: { idleTimeoutMs: IDLE_TIMEOUT_MS },
    logger: log.logger,
  });
  const honest = world.startClient({
    port: server.port,
    localAddress: HONEST_IP,
    requestedId: 1,
    durationMs: HONEST_MS,
    outDir: join(world.dir, 'honest'),
  });
  await until(() => selectProgress(honest.actor.getSnapshot()).replies > 5);
  return { server, honest, log };
}

async function raw(port: number, localAddress: string) {
  const client = await world.raw({ port: port, localAddress: localAddress });
  return client;
}

/** The log entry of a connection closed from `address`, once the server logged it. */
const closedFrom = (entries: { message: string; code?: string }[], address: string) =>
  entries.find((e) => e.message.includes(`from ${address} closed`));

async function expectHonestUnaffected(
  honest: ReturnType<typeof startTcpClient>,
  s: TcpServer,
): Promise<{ served: ServedClient[]; table: Awaited<ReturnType<typeof readTable>> }> {
  const summary = await honest.done;
  expect(summary).toMatchObject({ outcome: 'done', error: null, lost: 0 });
  expect(summary.replies).toBe(summary.ticksSent);
  const stopped = await s.stop();
  expect(stopped.outcome).toBe('stopped');
  const table = await readTable(stopped.file);
  expect(table.endedAbruptly).toBe(false);
  expect(rowsFrom(table, HONEST_IP, '127.0.0.1')).toHaveLength(summary.ticksSent);
  expect(rowsFrom(table, '127.0.0.1', HONEST_IP)).toHaveLength(summary.ticksSent);
  return { served: stopped.clients, table };
}

describe('slow and silent connections (real TCP)', () => {
  test('a connection that says nothing, and one that trickles its hello, are cut at the handshake timeout', async () => {
    const { server: s, honest, log } = await start();
    const silent = await raw(s.port, '127.0.0.21');
    // Slowloris: the hello goes through a proxy that forwards 5 bytes a second (47 bytes: ~9 s).
    proxy = await startFaultProxy({
      target: { host: '127.0.0.1', port: s.port },
      upstream: { bytesPerSecond: 5 },
    });
    const trickler = await raw(proxy.port, '127.0.0.22');
    trickler.send({ type: 'hello', version: 1, clientId: 9, intervalMs: 10 });

    await until(() => silent.gone && trickler.gone);
    expect(silent.messages).toEqual([]);
    expect(trickler.messages).toEqual([]);
    await until(() => closedFrom(log.entries, '127.0.0.21') !== undefined);
    // The trickler reaches the server through the proxy, i.e. from 127.0.0.1.
    await until(() => log.entries.filter((e) => e.code === 'ERR_HANDSHAKE_TIMEOUT').length === 2);
    expect(closedFrom(log.entries, '127.0.0.21')?.code).toBe('ERR_HANDSHAKE_TIMEOUT');
    expect(proxy.stats.upstream.forwarded).toBeLessThan(47); // the hello never completed

    const { served, table } = await expectHonestUnaffected(honest, s);
    expect(served.map((c) => c.clientId)).toEqual([1]); // neither was ever a client
    expect(table.rows.every((r) => r.senderIp === HONEST_IP || r.receiverIp === HONEST_IP)).toBe(
      true,
    );
  });

  test('an exchanging client that trickles a tick, or goes silent, is cut at the idle timeout', async () => {
    const { server: s, honest } = await start();
    const trickler = await raw(s.port, '127.0.0.23');
    trickler.send({ type: 'hello', version: 1, intervalMs: 10 });
    const quiet = await raw(s.port, '127.0.0.24');
    quiet.send({ type: 'hello', version: 1, intervalMs: 10 });
    await until(() => trickler.messages.length === 1 && quiet.messages.length === 1);
    expect(trickler.messages[0]).toMatchObject({ type: 'welcome' });

    for (let seq = 0; seq < 3; seq++) {
      quiet.send({ type: 'tick', seq, t1: Date.now() * 1000 });
      await sleep(10);
    }
    // One byte every 50 ms: a 32-byte tick would take 1.6 s; the idle limit is 0.5 s.
    const tick = encodeFrame({ type: 'tick', seq: 0, t1: Date.now() * 1000 });
    for (let i = 0; i < tick.length && !trickler.gone; i++) {
      trickler.write(tick.subarray(i, i + 1));
      await sleep(50);
    }
    await until(() => trickler.gone && quiet.gone);
    expect(quiet.messages.filter((m) => m.type === 'reply')).toHaveLength(3);

    const { served, table } = await expectHonestUnaffected(honest, s);
    const byAddress = Object.fromEntries(served.map((c) => [c.address, c]));
    expect(byAddress['127.0.0.23']).toMatchObject({ code: 'ERR_IDLE_TIMEOUT', ticks: 0 });
    expect(byAddress['127.0.0.24']).toMatchObject({ code: 'ERR_IDLE_TIMEOUT', ticks: 3 });
    expect(rowsFrom(table, '127.0.0.24', '127.0.0.1')).toHaveLength(3);
    expect(rowsFrom(table, '127.0.0.23', '127.0.0.1')).toHaveLength(0);
  });
});

describe('a client ticking too fast (real TCP, real codec)', () => {
  test('ticking every 1 ms is cut off with ERR_RATE_LIMIT; its rows stay within the burst', async () => {
    const { server: s, honest } = await start();
    const flood = await raw(s.port, '127.0.0.31');
    flood.send({ type: 'hello', version: 1, intervalMs: 10 });
    await until(() => flood.messages.length === 1);
    let sent = 0;
    const began = performance.now();
    const { meter, release } = acquireStallMeter(systemClock);
    for (let seq = 0; seq < 500 && !flood.gone; seq++) {
      flood.send({ type: 'tick', seq, t1: Date.now() * 1000 });
      sent += 1;
      await sleep(1);
    }
    await until(() => flood.gone);
    // Under load `sleep(1)` sleeps longer and the bucket refills meanwhile (one per 10 ms).
    // and a stall of the server process (a loaded machine) is credited to the ticks it held up.
    const refilled = Math.ceil((performance.now() - began) / 9.9) + Math.ceil(meter.longestMs / 5);
    release();

    const { served, table } = await expectHonestUnaffected(honest, s);
    const cut = served.find((c) => c.address === '127.0.0.31');
    expect(cut).toMatchObject({ code: 'ERR_RATE_LIMIT' });
    // The default burst is 20 ticks ahead of one per 10 ms; at 1 ms it trips after ~23.
    expect(cut!.ticks).toBeGreaterThanOrEqual(20);
    expect(cut!.ticks).toBeLessThanOrEqual(Math.max(30, 21 + refilled));
    expect(rowsFrom(table, '127.0.0.31', '127.0.0.1')).toHaveLength(cut!.ticks);
    expect(rowsFrom(table, '127.0.0.1', '127.0.0.31')).toHaveLength(cut!.ticks);
    // Replies already queued when it was cut off were still sent.
    expect(flood.messages.filter((m) => m.type === 'reply')).toHaveLength(cut!.ticks);
    console.log(`1 ms ticker: sent ${sent} ticks before the cut, ${cut!.ticks} answered`);
  });

  test('a burst of 1,000 ticks in one write, t1 faked 10 ms apart: the burst allowance is answered', async () => {
    const { server: s, honest } = await start();
    const flood = await raw(s.port, '127.0.0.32');
    flood.send({ type: 'hello', version: 1, intervalMs: 10 });
    await until(() => flood.messages.length === 1);
    const t1 = Date.now() * 1000;
    const { meter, release } = acquireStallMeter(systemClock);
    // Faked t1 values one minimum interval apart: they buy nothing (pacing is by arrival).
    flood.write(
      Buffer.concat(
        Array.from({ length: 1000 }, (_, seq) =>
          encodeFrame({ type: 'tick', seq, t1: t1 + seq * 10_000 }),
        ),
      ),
    );
    await until(() => flood.gone);
    // Only a stall of this process right before the read (a loaded machine) earns credit.
    const credit = Math.ceil(meter.longestMs / 5);
    release();
    const { served, table } = await expectHonestUnaffected(honest, s);
    const cut = served.find((c) => c.address === '127.0.0.32');
    expect(cut).toMatchObject({ code: 'ERR_RATE_LIMIT' });
    expect(cut!.ticks).toBeGreaterThanOrEqual(20);
    expect(cut!.ticks).toBeLessThanOrEqual(20 + credit);
    expect(rowsFrom(table, '127.0.0.32', '127.0.0.1')).toHaveLength(cut!.ticks);
    expect(flood.messages.filter((m) => m.type === 'reply')).toHaveLength(cut!.ticks);
  });
});
