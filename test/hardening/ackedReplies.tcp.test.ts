import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { encodeFrame } from '../../src/transport';
import { captureLogger } from '../helpers/tcp';
import { tcpWorld } from '../helpers/tcpWorld';
import { sleep, until } from '../helpers/until';

/**
 * Issue 10, item 3: a client that does not read is judged by time with everything counted.
 * Each tick acknowledges the replies the client has read (`ack`, docs/protocol.md 4.5); the
 * server cuts it with ERR_SLOW_CONSUMER once the oldest reply not acknowledged has waited
 * `maxReplyDelayMs` — whether that reply sits in Node's buffer, the kernel's, or the client's.
 */

const world = tcpWorld('timeswarm-acks-');
const MAX_REPLY_DELAY_MS = 2000;

const replyBytes = encodeFrame({
  type: 'reply',
  seq: 10_000,
  t1: Date.now() * 1000,
  t2: Date.now() * 1000,
  t3: Date.now() * 1000,
}).length;

/**
 * A raw client that reads the welcome, then never reads again and ticks at the allowed pace
 * (one per 10 ms timer, never ahead), each tick with `ack` from `ackFor(ticksSentBefore)`.
 */
async function pacedNonReader(
  port: number,
  localAddress: string,
  ackFor: (sent: number) => number,
) {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress, allowHalfOpen: true });
  const state = { closed: false, ticks: 0 };
  socket.on('error', () => undefined);
  socket.on('close', () => (state.closed = true));
  await once(socket, 'connect');
  socket.write(encodeFrame({ type: 'hello', version: 1, intervalMs: 10 }));
  await once(socket, 'data'); // the welcome
  socket.pause(); // from now on, replies stay in the kernel (and then in the server)
  world.onTeardown(() => socket.destroy());
  const done = (async () => {
    // At most 1,500 ticks (15 s at the pace): the kernel's buffers hold far more than that.
    for (let i = 0; i < 1500 && !state.closed && !socket.destroyed; i++) {
      const t1 = Date.now() * 1000;
      socket.write(encodeFrame({ type: 'tick', seq: state.ticks, t1, ack: ackFor(state.ticks) }));
      state.ticks += 1;
      await sleep(10);
    }
  })();
  return { socket, state, done };
}

test('a client that ticks at the pace and reads nothing is cut by the age of its unacknowledged replies, long before the kernel is full; an honest client is not', async () => {
  const log = captureLogger();
  const server = await world.startServer({
    maxReplyDelayMs: MAX_REPLY_DELAY_MS,
    logger: log.logger,
  });
  const honest = world.startClient({ localAddress: '127.0.0.80', durationMs: 4000 });
  // It says what is true: it has read no reply.
  const silent = await pacedNonReader(server.port, '127.0.0.81', () => 0);
  await until(() => silent.state.closed, { limitMs: 30_000, what: 'the non-reader cut' });
  await silent.done;

  expect(await honest.done).toMatchObject({ outcome: 'done', lost: 0, reconnections: 0 });
  const summary = await server.stop();
  const cut = summary.clients.find((c) => c.address === '127.0.0.81');
  expect(cut).toMatchObject({ code: 'ERR_SLOW_CONSUMER' });
  // Everything it was sent still waits unread, yet far less than the peer's receive buffer
  // alone holds: Node's buffer was empty, only the ack's age can have cut it.
  const rmem = Number(readFileSync('/proc/sys/net/ipv4/tcp_rmem', 'utf8').trim().split(/\s+/)[1]);
  expect(cut!.ticks * replyBytes).toBeLessThan(rmem);
  expect(summary.clients.find((c) => c.address === '127.0.0.80')).toMatchObject({ code: 'OK' });
  expect(log.entries.filter((e) => e.code === 'ERR_SLOW_CONSUMER')).toHaveLength(1);
}, 60_000);

test('an ack of replies never sent is a protocol violation', async () => {
  const log = captureLogger();
  const server = await world.startServer({ logger: log.logger });
  const raw = await world.raw({ port: server.port, localAddress: '127.0.0.82' });
  raw.send({ type: 'hello', version: 1, intervalMs: 10 });
  await until(() => raw.messages.some((m) => m.type === 'welcome'));
  raw.send({ type: 'tick', seq: 0, t1: Date.now() * 1000, ack: 0 });
  await until(() => raw.messages.some((m) => m.type === 'reply'));
  raw.send({ type: 'tick', seq: 1, t1: Date.now() * 1000, ack: 2 });
  await until(() => raw.gone, { what: 'the liar cut' });
  const summary = await server.stop();
  expect(summary.clients.find((c) => c.address === '127.0.0.82')).toMatchObject({
    code: 'ERR_PROTOCOL',
    ticks: 1,
  });
});
