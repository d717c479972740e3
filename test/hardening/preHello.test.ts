import { captureLogger } from '../helpers/tcp';
import { tcpWorld } from '../helpers/tcpWorld';
import { until } from '../helpers/until';

const world = tcpWorld('timeswarm-prehello-');

const raw = (port: number, localAddress: string) => world.raw({ port, localAddress });

describe('limits before the hello (real TCP)', () => {
  test('per address, then overall: one connection too many is closed at accept, logged with its code', async () => {
    const log = captureLogger();
    const server = await world.startServer({
      maxPending: 6,
      maxPendingPerAddress: 4,
      logger: log.logger,
    });
    const port = server.port;
    const fromA = [];
    for (let i = 0; i < 4; i++) fromA.push(await raw(port, '127.0.0.61'));
    await until(() => server.actor.getSnapshot().context.connections === 4);
    const fifthFromA = await raw(port, '127.0.0.61');
    await until(() => fifthFromA.gone);
    const fromB = [await raw(port, '127.0.0.62'), await raw(port, '127.0.0.62')];
    await until(() => server.actor.getSnapshot().context.connections === 6);
    const seventh = await raw(port, '127.0.0.63');
    await until(() => seventh.gone);
    // Those let in are still there, nothing was said to the ones closed.
    expect([...fromA, ...fromB].some((c) => c.gone)).toBe(false);
    expect(fifthFromA.messages).toEqual([]);
    expect(seventh.messages).toEqual([]);

    // A connection that says hello leaves the count: room for one more.
    fromB[0]!.send({ type: 'hello', version: 1, intervalMs: 10 });
    await until(() => fromB[0]!.messages.length === 1);
    expect(fromB[0]!.messages[0]).toMatchObject({ type: 'welcome' });
    const honest = world.startClient({ localAddress: '127.0.0.64', durationMs: 300 });
    expect(await honest.done).toMatchObject({ outcome: 'done', lost: 0, reconnections: 0 });

    // A connection that ends leaves the count too.
    fromA[0]!.destroy();
    await until(() => server.actor.getSnapshot().context.connections === 5);
    const again = await raw(port, '127.0.0.61');
    await until(() => server.actor.getSnapshot().context.connections === 6);
    expect(again.gone).toBe(false);

    const summary = await server.stop();
    expect(summary.refused).toEqual({
      ERR_TOO_MANY_FROM_ADDRESS: 1,
      ERR_TOO_MANY_PENDING: 1,
      EMFILE: 0,
    });
    const codes = log.entries.map((e) => e.code);
    expect(codes).toContain('ERR_TOO_MANY_FROM_ADDRESS');
    // The second refusal came within a second of the first: counted, logged with the next one.
    expect(
      codes.filter((c) => c === 'ERR_TOO_MANY_FROM_ADDRESS' || c === 'ERR_TOO_MANY_PENDING').length,
    ).toBeGreaterThanOrEqual(1);
  });
});
