import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { killAll, timeswarm, timeswarmServer } from '../helpers/cliProcess';
import { tcpWorld } from '../helpers/tcpWorld';
import { until } from '../helpers/until';

/**
 * Issue 10, item 1: a flood of 3,000 silent connections before the hello, opened and reopened
 * for 24 s from 16 loopback addresses, against a real server process, while an honest client (its
 * own process) ticks every 50 ms. Its missed slots measure its own timer, which shares this
 * machine's 2 cores with the server, the flood and everything else running here: at 10 or
 * 20 ms, at a load average of 12–16, it misses 1.6–5% of its slots with or without the flood
 * (measured), which says nothing about the server. Lost ticks, reconnections and the server's
 * record say what the flood does to it.
 */

const FLOOD = join(__dirname, '..', 'helpers', 'connectionFlood.ts');
// 16 addresses; 127.0.0.100 opens a quarter of the slots (750), the 15 others 150 each.
const FLOOD_ADDRESSES = [
  ...Array.from({ length: 5 }, () => '127.0.0.100'),
  ...Array.from({ length: 15 }, (_, i) => `127.0.0.${101 + i}`),
];
const SLOTS = 3000;
const MAX_PENDING = 1500;
// 127.0.0.100 is held to 300 (the per-address limit bites), and 300 + 15 × 150 = 2,550 > 1,500
// (the overall limit bites too, whichever way the kernel lets the ramp through).
const MAX_PENDING_PER_IP = 300;
const FLOOD_MS = 28_000;
const HONEST_MS = 24_000;

const world = tcpWorld('timeswarm-flood-');

/** Linux sets a niceness per thread: every thread of `pid` (V8's GC helpers too), if allowed. */
function setPriorityOfAllThreads(pid: number, priority: number): void {
  let tids: string[] = [String(pid)];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    // no /proc: the main thread only
  }
  for (const tid of tids) {
    try {
      os.setPriority(Number(tid), priority);
    } catch {
      // not allowed: it competes like everyone else
    }
  }
}
afterEach(() => killAll());

test('3,000 silent connections from 16 addresses, reopened for 24 s: the honest client loses nothing; SIGINT ends the server at once', async () => {
  const server = await timeswarmServer([
    '--port',
    '0',
    '--out',
    world.path('server'),
    '--max-pending',
    String(MAX_PENDING),
    '--max-pending-per-ip',
    String(MAX_PENDING_PER_IP),
    // Connections the limits let in stay pending until the flood reopens them, however slowly
    // a loaded machine lets it ramp up (with the 5 s default, at load 14 the niced flood never
    // had 1,500 open at once and the overall limit did not bite).
    '--handshake-timeout',
    '20s',
    '--json',
  ]);
  const honest = timeswarm([
    'client',
    '--server',
    `127.0.0.1:${server.port}`,
    '--bind',
    '127.0.0.2',
    '--id',
    '1',
    '--interval',
    '50ms',
    '--duration',
    `${HONEST_MS}ms`,
    '--out',
    world.path('honest'),
    '--json',
  ]);
  // On its own machine the honest client would not share a CPU with the server, the flood and
  // whatever else runs here; a missed slot is its own timer being late. So it runs ahead of the
  // rest where the OS lets us (root), and the flood behind (it nices itself to 19).
  setPriorityOfAllThreads(honest.child.pid!, -10);
  await server.waitFor(/client 1 joined/);

  const flood = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      FLOOD,
      JSON.stringify({
        port: server.port,
        addresses: FLOOD_ADDRESSES,
        slots: SLOTS,
        durationMs: FLOOD_MS,
        reopenMs: 1000,
        holdMs: 30_000,
      }),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let floodOut = '';
  flood.stdout.on('data', (chunk: Buffer) => (floodOut += chunk.toString()));
  const floodExited = once(flood, 'exit');
  try {
    // The honest client ends while the flood still holds its connections.
    expect(await honest.exited).toBe(0);
    const summary = JSON.parse(honest.output().stdout);
    expect(summary).toMatchObject({ outcome: 'done', lost: 0, reconnections: 0 });
    expect(summary.replies).toBe(summary.ticksSent);
    expect(summary.missedSlots).toBeLessThanOrEqual(Math.floor(summary.plannedTicks * 0.02));

    // SIGINT with the flood's connections open: the server finishes by itself.
    const began = performance.now();
    server.child.kill('SIGINT');
    expect(await server.exited).toBe(0);
    const stopMs = performance.now() - began;
    const served = JSON.parse(server.output().stdout);
    expect(served.outcome).toBe('stopped');
    expect(served.clients).toContainEqual(
      expect.objectContaining({ clientId: 1, code: 'OK', ticks: summary.ticksSent }),
    );
    // Both limits bit, and said so with their codes.
    expect(served.refused.ERR_TOO_MANY_PENDING).toBeGreaterThan(0);
    expect(served.refused.ERR_TOO_MANY_FROM_ADDRESS).toBeGreaterThan(0);
    const { stderr } = server.output();
    expect(stderr).toMatch(/without a hello code=ERR_TOO_MANY_PENDING/);
    expect(stderr).toMatch(/without a hello code=ERR_TOO_MANY_FROM_ADDRESS/);
    expect(stderr).toMatch(/dropped \d+ connection\(s\) still in their handshake/);

    // Thousands were open when the signal came: the server dropped them in one go.
    const dropped = Number(
      /dropped (\d+) connection\(s\) still in their handshake/.exec(stderr)?.[1],
    );
    // How many are pending at that moment depends on how fast the flood reopens (hundreds on a
    // loaded CI box, a thousand when quiet): what matters is that many were, and the exit.
    expect(dropped).toBeGreaterThanOrEqual(250);

    await until(() => floodOut.includes('\n'), {
      limitMs: FLOOD_MS + 10_000,
      what: 'the flood counts',
    });
    const counts = JSON.parse(floodOut.trim());
    flood.stdin.end();
    await floodExited;
    expect(counts.peakOpen).toBeGreaterThanOrEqual(2000);
    expect(counts.opened).toBeGreaterThan(SLOTS * 2); // reopened, over and over
    console.log(
      `flood: ${JSON.stringify(counts)}; server refused ${JSON.stringify(served.refused)}; honest ${summary.ticksSent} ticks, ${summary.missedSlots} missed of ${summary.plannedTicks}, RTT p99 ${summary.rttMs.p99.toFixed(1)} ms; SIGINT with ${dropped} in their handshake → exit in ${Math.round(stopMs)} ms`,
    );
  } finally {
    flood.kill('SIGKILL');
  }
}, 90_000);
