import { join } from 'node:path';
import { encodeFrame } from '../../src/transport';
import { captureLogger, type RawClient, readTable, rowsFrom } from '../helpers/tcp';
import { tcpWorld } from '../helpers/tcpWorld';
import { until } from '../helpers/until';

const world = tcpWorld('timeswarm-edges-');

async function raw(port: number, localAddress: string) {
  const client = await world.raw({ port: port, localAddress: localAddress });
  return client;
}

const replies = (client: RawClient) => client.messages.filter((m) => m.type === 'reply');

describe('an idle limit the client cannot stretch (real TCP)', () => {
  test('a hello above the maximum interval is refused with ERR_INTERVAL; one at it is cut at 3 × the maximum', async () => {
    const log = captureLogger();
    const server = await world.startServer({
      outDir: join(world.dir, 'server'),
      limits: { idleTimeoutMs: 300, maxIntervalMs: 200 },
      logger: log.logger,
    });
    // The squatter: an interval of an hour once made the idle limit three hours.
    const squatter = await raw(server.port, '127.0.0.41');
    squatter.send({ type: 'hello', version: 1, intervalMs: 3_600_000 });
    const justAbove = await raw(server.port, '127.0.0.42');
    justAbove.send({ type: 'hello', version: 1, intervalMs: 200.001 });
    const atMax = await raw(server.port, '127.0.0.43');
    atMax.send({ type: 'hello', version: 1, intervalMs: 200 });
    await until(() => squatter.gone && justAbove.gone && atMax.gone);
    expect(squatter.messages).toEqual([
      expect.objectContaining({ type: 'refused', code: 'ERR_INTERVAL' }),
    ]);
    expect(justAbove.messages).toEqual([
      expect.objectContaining({ type: 'refused', code: 'ERR_INTERVAL' }),
    ]);
    // Welcomed, then silent: cut at max(300 ms, 3 × 200 ms), never later than its bound allows.
    expect(atMax.messages.map((m) => m.type)).toEqual(['welcome']);
    const summary = await server.stop();
    const byAddress = Object.fromEntries(summary.clients.map((c) => [c.address, c]));
    expect(byAddress['127.0.0.43']).toMatchObject({ code: 'ERR_IDLE_TIMEOUT', ticks: 0 });
    // Neither refused hello ever held an ID.
    expect(byAddress['127.0.0.41']).toBeUndefined();
    expect(byAddress['127.0.0.42']).toBeUndefined();
    expect(log.entries.filter((e) => e.code === 'ERR_INTERVAL')).toHaveLength(2);
  });
});

describe('the server file tells the truth (real TCP)', () => {
  test('hello, tick and a bad frame in one read: a reply row only for a reply the client got', async () => {
    const log = captureLogger();
    const server = await world.startServer({
      outDir: join(world.dir, 'server'),
      logger: log.logger,
    });
    const client = await raw(server.port, '127.0.0.44');
    client.write(
      Buffer.concat([
        encodeFrame({ type: 'hello', version: 1, clientId: 7, intervalMs: 10 }),
        encodeFrame({ type: 'tick', seq: 0, t1: Date.now() * 1000 }),
        encodeFrame({ type: 'tick', seq: 1, t1: Date.now() * 1000 + 10_000 }),
        Buffer.from([0, 0, 0, 2, 0xc1, 0xc1]), // two msgpack values in one frame: ERR_DECODE
      ]),
    );
    await until(() => client.gone);
    const summary = await server.stop();
    const served = summary.clients.find((c) => c.address === '127.0.0.44');
    expect(served?.code).toBe('ERR_DECODE');
    const table = await readTable(summary.file);
    // Before the fix, the replies were logged and counted, then dropped with the connection.
    // Now every reply the server logged and counted reached this client, and no other.
    expect(rowsFrom(table, '127.0.0.1', '127.0.0.44')).toHaveLength(replies(client).length);
    expect(rowsFrom(table, '127.0.0.44', '127.0.0.1')).toHaveLength(replies(client).length);
    expect(served?.ticks).toBe(replies(client).length);
    expect(log.entries.some((e) => e.code === 'ERR_DECODE')).toBe(true);
  });

  test('ticks and a bad frame in one read while exchanging: every reply counted is sent, row for row', async () => {
    const server = await world.startServer({ outDir: join(world.dir, 'server') });
    const client = await raw(server.port, '127.0.0.45');
    client.send({ type: 'hello', version: 1, intervalMs: 10 });
    await until(() => client.messages.length === 1);
    const t1 = Date.now() * 1000;
    client.write(
      Buffer.concat([
        encodeFrame({ type: 'tick', seq: 0, t1 }),
        encodeFrame({ type: 'tick', seq: 1, t1: t1 + 10_000 }),
        encodeFrame({ type: 'tick', seq: 2, t1: t1 + 20_000 }),
        Buffer.from([0, 0, 0, 2, 0xc1, 0xc1]),
      ]),
    );
    await until(() => client.gone);
    const summary = await server.stop();
    const served = summary.clients.find((c) => c.address === '127.0.0.45');
    expect(served).toMatchObject({ code: 'ERR_DECODE', ticks: 3 });
    const table = await readTable(summary.file);
    // Three replies logged, three replies on the wire (handed to the socket before the drop).
    expect(rowsFrom(table, '127.0.0.1', '127.0.0.45')).toHaveLength(3);
    expect(replies(client)).toHaveLength(3);
  });
});
