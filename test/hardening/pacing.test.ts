import { join } from 'node:path';
import { acquireStallMeter, type Clock, systemClock } from '../../src/time';
import { encodeFrame } from '../../src/transport';
import { killAll, timeswarm } from '../helpers/cliProcess';
import { captureLogger, readTable, rowsFrom } from '../helpers/tcp';
import { tcpWorld } from '../helpers/tcpWorld';
import { sleep, until } from '../helpers/until';

/**
 * Pacing by arrival on the server's monotonic clock (issue 10, item 4): t1 is data. A flood
 * that fakes well-spaced t1 values is cut after the burst; a client whose wall clock steps,
 * forward or back, is never cut for it; ticks that bunched up while the server itself was
 * stalled are not a flood.
 */

const world = tcpWorld('timeswarm-pacing-');

afterEach(async () => {
  killAll();
});

async function raw(port: number, localAddress: string) {
  const client = await world.raw({ port: port, localAddress: localAddress });
  return client;
}

/** The system clock with a wall clock that jumps by `stepMs` at each of `at` (monotonic ms). */
function steppingClock(steps: { afterMs: number; stepMs: number }[]): Clock {
  const origin = systemClock.now();
  return {
    ...systemClock,
    wallMicros: () => {
      const elapsed = systemClock.now() - origin;
      const offsetMs = steps
        .filter((s) => elapsed >= s.afterMs)
        .reduce((sum, s) => sum + s.stepMs, 0);
      return systemClock.wallMicros() + Math.round(offsetMs * 1000);
    },
  };
}

/** The reference client in its own process, ticking every 10 ms from `bind`. */
function cliClient(port: number, bind: string, duration: string) {
  return timeswarm([
    'client',
    '--server',
    `127.0.0.1:${port}`,
    '--bind',
    bind,
    '--interval',
    '10ms',
    '--duration',
    duration,
    '--out',
    join(world.dir, 'client'),
    '--json',
  ]);
}

/** Keeps this process (and the server in it) busy for `ms`, and checks its stall meter saw it. */
async function stallThisProcess(ms: number): Promise<void> {
  const { meter, release } = acquireStallMeter(systemClock);
  try {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      // busy: nothing else runs
    }
    await sleep(50);
    expect(meter.longestMs).toBeGreaterThanOrEqual(ms);
  } finally {
    release();
  }
}

describe('pacing by arrival (real TCP)', () => {
  test('a flood with faked t1 values 10 ms apart is cut after exactly the burst (20)', async () => {
    // No stall credit: the count must be exact whatever the machine's load.
    const server = await world.startServer({
      outDir: join(world.dir, 'server'),
      limits: { stallToleranceMs: 0 },
    });
    const oneWrite = await raw(server.port, '127.0.0.51');
    const oneByOne = await raw(server.port, '127.0.0.52');
    for (const flood of [oneWrite, oneByOne]) {
      flood.send({ type: 'hello', version: 1, intervalMs: 10 });
    }
    await until(() => oneWrite.messages.length === 1 && oneByOne.messages.length === 1);
    const t1 = Date.now() * 1000;
    // The flood: t1 values exactly one minimum interval apart, sent as fast as possible.
    const ticks = Array.from({ length: 600 }, (_, seq) =>
      encodeFrame({ type: 'tick', seq, t1: t1 + seq * 10_000 }),
    );
    oneWrite.write(Buffer.concat(ticks));
    for (const tick of ticks) oneByOne.write(tick);
    await until(() => oneWrite.gone && oneByOne.gone);
    const summary = await server.stop();
    const table = await readTable(summary.file);
    for (const address of ['127.0.0.51', '127.0.0.52']) {
      const cut = summary.clients.find((c) => c.address === address);
      expect(cut).toMatchObject({ code: 'ERR_RATE_LIMIT' });
      // Written back to back in well under one interval: the burst, and no more.
      expect(cut!.ticks).toBe(20);
      expect(rowsFrom(table, address, '127.0.0.1')).toHaveLength(20);
    }
    expect(oneWrite.messages.filter((m) => m.type === 'reply')).toHaveLength(20);
  });

  test.each([
    [
      'back 2 s, then forward 3 s',
      [
        { afterMs: 300, stepMs: -2000 },
        { afterMs: 1000, stepMs: 3000 },
      ],
    ],
    ['back 60 s', [{ afterMs: 500, stepMs: -60_000 }]],
    ['forward 1 h', [{ afterMs: 500, stepMs: 3_600_000 }]],
    // Pacing by t1 cut this one after 20 ticks: its ticks all seemed to come at once.
    [
      'back 10 ms every 10 ms for 1 s (a stuck wall clock)',
      Array.from({ length: 100 }, (_, i) => ({ afterMs: 300 + i * 10, stepMs: -10 })),
    ],
  ])('a client whose wall clock steps %s is never cut for it', async (_what, steps) => {
    const server = await world.startServer({ outDir: join(world.dir, 'server') });
    const client = world.startClient({
      port: server.port,
      localAddress: '127.0.0.53',
      durationMs: 1500,
      intervalMs: 10,
      outDir: join(world.dir, 'client'),
      clock: steppingClock(steps),
    });
    const summary = await client.done;
    expect(summary).toMatchObject({ outcome: 'done', error: null, lost: 0, reconnections: 0 });
    expect(summary.ticksSent).toBeGreaterThan(50);
    const stopped = await server.stop();
    expect(stopped.clients).toEqual([
      expect.objectContaining({ address: '127.0.0.53', code: 'OK', ticks: summary.ticksSent }),
    ]);
    // The steps are in the data, as sent: the server logs t1 as the client stamped it.
    const table = await readTable(stopped.file);
    const t1s = rowsFrom(table, '127.0.0.53', '127.0.0.1').map((r) => r.timeMicros);
    const jumps = t1s.slice(1).map((t, i) => t - t1s[i]!);
    // (within 1 s: a loaded machine may make the client skip slots around a step)
    for (const { stepMs } of steps.filter((step) => Math.abs(step.stepMs) >= 1000)) {
      expect(jumps.some((d) => Math.abs(d - stepMs * 1000) < 1_000_000)).toBe(true);
    }
  });

  test("ticks that waited out a 1 s stall of the server are not a flood, nor is the stall the client's silence; the client loses nothing", async () => {
    const log = captureLogger();
    const server = await world.startServer({
      outDir: join(world.dir, 'server'),
      // An idle limit shorter than the stall: the time stalled must not count as silence.
      limits: { idleTimeoutMs: 500 },
      logger: log.logger,
    });
    // The reference client in its own process: it keeps ticking while this one is stalled.
    const client = cliClient(server.port, '127.0.0.54', '3s');
    await until(() => server!.actor.getSnapshot().context.clients === 1);
    await sleep(300);
    // Stall this process (and so the server) for 1 s: ~100 ticks wait in the kernel.
    await stallThisProcess(1000);
    expect(await client.exited).toBe(0);
    const summary = JSON.parse(client.output().stdout);
    expect(summary).toMatchObject({ outcome: 'done', lost: 0, reconnections: 0 });
    const stopped = await server.stop();
    expect(stopped.clients).toEqual([
      expect.objectContaining({ address: '127.0.0.54', code: 'OK', ticks: summary.ticksSent }),
    ]);
    expect(log.entries.some((e) => e.code === 'ERR_RATE_LIMIT')).toBe(false);
    expect(log.entries.some((e) => e.code === 'ERR_IDLE_TIMEOUT')).toBe(false);
  });

  test('a stall beyond the credit the server gives is its overload: the client is cut with ERR_OVERLOADED, never ERR_RATE_LIMIT, and comes back', async () => {
    const log = captureLogger();
    const server = await world.startServer({
      outDir: join(world.dir, 'server'),
      // Credit stalls up to 200 ms only, so that a 1.5 s stall of this process is beyond it
      // (as a saturated loop at 500 clients is beyond the default 5 s).
      limits: { stallToleranceMs: 200 },
      logger: log.logger,
    });
    const client = cliClient(server.port, '127.0.0.55', '4s');
    await until(() => server!.actor.getSnapshot().context.clients === 1);
    await sleep(300);
    // Stall this process (and so the server) for 1.5 s: ~150 ticks wait in the kernel.
    await stallThisProcess(1500);
    expect(await client.exited).toBe(0);
    const summary = JSON.parse(client.output().stdout);
    // Cut once, by the server's overload; it reconnected and finished.
    expect(summary).toMatchObject({ outcome: 'done' });
    expect(summary.reconnections).toBeGreaterThanOrEqual(1);
    const stopped = await server.stop();
    const codes = stopped.clients.map((c) => c.code);
    expect(codes[0]).toBe('ERR_OVERLOADED');
    expect(codes).not.toContain('ERR_RATE_LIMIT');
    expect(codes[codes.length - 1]).toBe('OK');
    expect(log.entries.some((e) => e.code === 'ERR_OVERLOADED')).toBe(true);
    expect(log.entries.some((e) => e.code === 'ERR_RATE_LIMIT')).toBe(false);
  });
});
