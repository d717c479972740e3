import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientSessionInput } from '../../src/actors/client';
import { type ServerInput, selectStatus } from '../../src/actors/server';
import { type ParsedRow, parseExchangeLog } from '../../src/storage';
import { type DirectionFaults, type FaultProxy, startFaultProxy } from '../helpers/faultProxy';
import { readTable, rowsFrom } from '../helpers/tcp';
import { tcpWorld } from '../helpers/tcpWorld';
import { until } from '../helpers/until';

const IP = '127.0.0.2';
const SERVER_IP = '127.0.0.1';
const HELLO_BYTES = 47;
const TICK_BYTES = 37; // {type, seq, t1, ack} with seq and ack < 128
const WELCOME_BYTES = 57;
const REPLY_BYTES = 57;

const world = tcpWorld('timeswarm-stall-');
let proxy: FaultProxy | null = null;
afterEach(async () => {
  await proxy?.close();
  proxy = null;
});

const times = (rows: ParsedRow[]) => rows.map((r) => r.timeMicros);

async function session(
  faults: { upstream?: DirectionFaults; downstream?: DirectionFaults },
  client: Partial<ClientSessionInput>,
  serverInput: Partial<ServerInput> = {},
  onProxy: (p: FaultProxy) => void = () => undefined,
) {
  const server = await world.startServer({ outDir: join(world.dir, 'server'), ...serverInput });
  const s = server;
  proxy = await startFaultProxy({
    target: { host: SERVER_IP, port: s.port },
    localAddress: IP,
    ...faults,
  });
  const run = world.startClient({
    port: proxy.port,
    localAddress: IP,
    requestedId: 1,
    outDir: join(world.dir, 'client'),
    ...client,
  });
  const p = proxy;
  const watch = setInterval(() => onProxy(p), 2);
  const summary = await run.done.finally(() => clearInterval(watch));
  await until(() => selectStatus(s.actor.getSnapshot()).connections === 0);
  const stopped = await s.stop();
  const serverTable = await readTable(stopped.file);
  const clientTable = await readTable(summary.files!.table);
  const sidecar = parseExchangeLog(await readFile(summary.files!.exchanges, 'utf8'));
  return {
    summary,
    served: stopped.clients,
    sidecar,
    serverTicks: rowsFrom(serverTable, IP, SERVER_IP),
    serverReplies: rowsFrom(serverTable, SERVER_IP, IP),
    clientTicks: rowsFrom(clientTable, IP, SERVER_IP),
    clientReplies: rowsFrom(clientTable, SERVER_IP, IP),
    clientTable,
  };
}

describe('slow and stalled paths through the fault proxy (real TCP)', () => {
  test('a slow path (50 ms each way, throttled to 20 KB/s): every tick is answered, the RTT shows it', async () => {
    const slow = { delayMs: 50, bytesPerSecond: 20_000 };
    const run = await session({ upstream: slow, downstream: slow }, { durationMs: 1000 });
    expect(run.summary).toMatchObject({ outcome: 'done', lost: 0, reconnections: 0 });
    expect(run.summary.replies).toBe(run.summary.ticksSent);
    // The proxy holds every byte at least 50 ms each way (timers never fire early).
    expect(run.summary.rttMs!.min).toBeGreaterThanOrEqual(99);
    expect(times(run.clientTicks)).toEqual(times(run.serverTicks));
    expect(times(run.clientReplies)).toEqual(times(run.serverReplies));
  });

  test('replies stall mid-session (server → client truncated, no FIN, no RST): the reply timeout notices, the client reconnects and finishes', async () => {
    const k = 30;
    const run = await session(
      { downstream: { truncateAfterBytes: WELCOME_BYTES + k * REPLY_BYTES } },
      {
        durationMs: 2000,
        drainTimeoutMs: 300,
        replyTimeoutMs: 300,
        reconnect: { attempts: 5, initialDelayMs: 100, maxDelayMs: 200 },
      },
      {},
      // Only the first connection stalls (the cut counts per connection): the path heals.
      (p) => {
        if (p.stats.downstream.swallowed > 0) p.setFaults('downstream', {});
      },
    );
    console.log(
      `stalled replies: client ${run.summary.outcome}, ${run.summary.reconnections} reconnections, ${run.summary.replies}/${run.summary.ticksSent} replies, lost ${run.summary.lost}`,
    );
    // No FIN, no RST: only the missing replies tell. After 300 ms without one the client
    // drops the connection, reconnects and resumes; the ticks of the stall are lost, and
    // counted as such in the summary and the sidecar.
    expect(run.summary).toMatchObject({ outcome: 'done', reconnections: 1, endedEarly: null });
    expect(run.summary.lost).toBe(run.summary.ticksSent - run.summary.replies);
    expect(run.summary.lost).toBeGreaterThan(0);
    expect(run.sidecar.records.filter((r) => r.t4 === null)).toHaveLength(run.summary.lost);
    // The server answered every tick it got; the client's replies are all in the server's file.
    expect(times(run.serverTicks)).toEqual(times(run.clientTicks));
    const answered = new Set(times(run.serverReplies));
    expect(times(run.clientReplies).every((t) => answered.has(t))).toBe(true);
  });

  test('ticks stall mid-session (client → server truncated): the server’s idle timeout cuts the connection, the client reconnects and finishes', async () => {
    const k = 30;
    const cut = HELLO_BYTES + k * TICK_BYTES;
    const run = await session(
      { upstream: { truncateAfterBytes: cut } },
      { durationMs: 2000, reconnect: { attempts: 5, initialDelayMs: 100, maxDelayMs: 200 } },
      { limits: { idleTimeoutMs: 300 } },
      // Only the first connection stalls (the cut counts per connection): the path heals.
      (p) => {
        if (p.stats.upstream.swallowed > 0) p.setFaults('upstream', {});
      },
    );
    console.log(
      `stalled ticks: client ${run.summary.outcome}, ${run.summary.reconnections} reconnections, ${run.summary.replies}/${run.summary.ticksSent} replies, lost ${run.summary.lost}, ${run.summary.offlineSlots} slots offline; server codes ${run.served.map((c) => c.code).join(',')}`,
    );
    expect(run.summary).toMatchObject({ outcome: 'done', reconnections: 1, endedEarly: null });
    expect(run.served.map((c) => c.code)).toEqual(['ERR_IDLE_TIMEOUT', 'OK']);
    expect(run.served[0]!.ticks).toBe(k);
    // The ticks swallowed by the stall are the lost ones: sent, logged, never answered.
    expect(run.summary.lost).toBe(run.summary.ticksSent - run.summary.replies);
    expect(run.sidecar.records.filter((r) => r.t4 === null)).toHaveLength(run.summary.lost);
    // Every tick the server answered is one the client sent, and every reply the client got
    // is in the server's file.
    const clientTicks = new Set(times(run.clientTicks));
    expect(run.serverTicks.every((r) => clientTicks.has(r.timeMicros))).toBe(true);
    const serverReplies = new Set(times(run.serverReplies));
    expect(run.clientReplies.every((r) => serverReplies.has(r.timeMicros))).toBe(true);
    expect(run.summary.replies).toBe(run.clientReplies.length);
  });
});
