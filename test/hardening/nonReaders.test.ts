import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { encodeFrame } from '../../src/transport';
import { captureLogger } from '../helpers/tcp';
import { tcpWorld } from '../helpers/tcpWorld';
import { until } from '../helpers/until';

/**
 * Issue 10, item 3: clients that tick and never read, and do not say so — they send no `ack`,
 * or lie in it (acknowledging every reply) — are judged on what waits in the server's
 * process. Their replies fill the kernel's buffers, then wait in Node's; once the oldest has
 * waited `maxReplyDelayMs` (1 s here) the client is cut off with ERR_SLOW_CONSUMER, however
 * little is buffered. The server's memory for one such client is bounded by what the kernel
 * holds for the connection plus the reply buffer cap (1 MiB). (Clients that ack truthfully are
 * cut by the age of their unacknowledged replies, far sooner: ackedReplies.tcp.test.ts.)
 */

const world = tcpWorld('timeswarm-nonreaders-');
const NON_READERS = 4;
/** The last two lie: each tick acknowledges every reply sent before it. */
const lies = (i: number) => i >= 2;
const MAX_REPLY_DELAY_MS = 1000;

/** A client on a raw socket that says hello, then ticks as fast as allowed and never reads. */
async function nonReader(port: number, localAddress: string, lie: boolean) {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress, allowHalfOpen: true });
  const state = { closed: false, ticks: 0 };
  socket.on('error', () => undefined);
  socket.on('close', () => (state.closed = true));
  await once(socket, 'connect');
  socket.pause(); // never read: replies stay in the kernel, then in the server
  socket.write(encodeFrame({ type: 'hello', version: 1, intervalMs: 1 }));
  const t1 = Date.now() * 1000;
  const pump = async () => {
    // 200 ticks every 10 ms (20,000 a second), within the test server's pace; bounded.
    for (let round = 0; round < 3000 && !state.closed && !socket.destroyed; round++) {
      const batch: Buffer[] = [];
      for (let i = 0; i < 200; i++) {
        const tick = { type: 'tick', seq: state.ticks, t1: t1 + state.ticks };
        batch.push(encodeFrame(lie ? { ...tick, ack: state.ticks } : tick));
        state.ticks += 1;
      }
      socket.write(Buffer.concat(batch));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return { socket, state, done: pump() };
}

test('clients that tick and never read are cut with ERR_SLOW_CONSUMER by the age of their replies; an honest client notices nothing', async () => {
  const log = captureLogger();
  const server = await world.startServer({
    // Fast enough for a test to fill the kernel's buffers in seconds.
    limits: { minIntervalMs: 0.01, tickBurst: 100_000 },
    maxReplyDelayMs: MAX_REPLY_DELAY_MS,
    logger: log.logger,
  });
  const honest = world.startClient({ localAddress: '127.0.0.70', durationMs: 3000 });
  const readers: Awaited<ReturnType<typeof nonReader>>[] = [];
  for (let i = 0; i < NON_READERS; i++) {
    readers.push(await nonReader(server.port, `127.0.0.${71 + i}`, lies(i)));
  }
  world.onTeardown(() => {
    for (const r of readers) r.socket.destroy();
  });
  await until(() => readers.every((r) => r.state.closed), {
    limitMs: 120_000,
    what: 'every non-reader cut',
  });
  await Promise.all(readers.map((r) => r.done));

  expect(await honest.done).toMatchObject({ outcome: 'done', lost: 0, reconnections: 0 });
  const summary = await server.stop();
  const replyBytes = encodeFrame({
    type: 'reply',
    seq: 100_000,
    t1: Date.now() * 1000,
    t2: Date.now() * 1000,
    t3: Date.now() * 1000,
  }).length;
  // What the kernel may hold for one connection on this machine: our send buffer at its
  // largest, and the peer's receive buffer (loopback: on this machine too) as it starts.
  const wmem = Number(readFileSync('/proc/sys/net/ipv4/tcp_wmem', 'utf8').trim().split(/\s+/)[2]);
  const rmem = Number(readFileSync('/proc/sys/net/ipv4/tcp_rmem', 'utf8').trim().split(/\s+/)[1]);
  const bound = wmem + rmem + 1024 * 1024 + 64 * 1024;
  for (let i = 0; i < NON_READERS; i++) {
    const served = summary.clients.find((c) => c.address === `127.0.0.${71 + i}`);
    expect(served).toMatchObject({ code: 'ERR_SLOW_CONSUMER' });
    // Every reply it was sent is still held somewhere (it read none): within the bound.
    expect(served!.ticks * replyBytes).toBeLessThanOrEqual(bound);
  }
  expect(summary.clients.find((c) => c.address === '127.0.0.70')).toMatchObject({ code: 'OK' });
  const cut = log.entries.filter((e) => e.code === 'ERR_SLOW_CONSUMER');
  expect(cut).toHaveLength(NON_READERS);
  console.log(
    `non-readers: ${summary.clients
      .filter((c) => c.code === 'ERR_SLOW_CONSUMER')
      .map((c) => `${((c.ticks * replyBytes) / 1024 / 1024).toFixed(1)} MiB`)
      .join(
        ', ',
      )} of replies held when cut (bound ${(bound / 1024 / 1024).toFixed(1)} MiB); ${cut[0]?.message}`,
  );
}, 180_000);
