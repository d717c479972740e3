import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { lightenInspectionEvent, lightValue } from '../../src/inspect';
import { startClient, startServer } from '../../src/runtime';
import { tcpTransport } from '../../src/transport';

const machineOf = (ref: unknown) =>
  (ref as unknown as { logic?: { config?: { id?: string } } }).logic?.config?.id;

describe('inspection of every actor', () => {
  let dir: string;
  const events: InspectionEvent[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'timeswarm-inspect-'));
    const inspect = (event: InspectionEvent) => events.push(event);
    const server = await startServer(
      { transport: tcpTransport, host: '127.0.0.1', port: 0, outDir: join(dir, 'server') },
      { inspect },
    );
    try {
      const client = startClient(
        {
          transport: tcpTransport,
          server: { host: '127.0.0.1', port: server.address.port },
          durationMs: 300,
          outDir: join(dir, 'client'),
        },
        { inspect },
      );
      await client.done;
    } finally {
      server.actor.send({ type: 'server.stop', reason: 'test over' });
      await server.done;
    }
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.each(['server', 'connectionHandler', 'clientSession', 'fileWriter'])(
    'sees %s actors created, receiving events and changing state',
    (kind) => {
      const mine = events.filter((e) => machineOf(e.actorRef) === kind);
      const types = new Set(mine.map((e) => e.type));
      expect(types).toContain('@xstate.actor');
      expect(types).toContain('@xstate.event');
      expect(types).toContain('@xstate.snapshot');
    },
  );

  it('lightens every event into small, JSON-safe data for the inspector', () => {
    let largest = 0;
    for (const event of events) {
      const light = lightenInspectionEvent(event);
      const shown =
        light.type === '@xstate.actor'
          ? { snapshot: light.actorRef.getSnapshot(), id: (light.actorRef as AnyActorRef).id }
          : light.type === '@xstate.snapshot'
            ? { snapshot: light.snapshot, event: light.event }
            : light.type === '@xstate.event'
              ? { event: light.event }
              : {};
      largest = Math.max(largest, JSON.stringify(shown).length);
    }
    // A client session's context holds the whole RTT list; the light one stays small.
    expect(largest).toBeLessThan(8192);
  });

  it('shows values by name where they are big or live objects', () => {
    class Socketish {}
    expect(
      lightValue({ rtt: new Array(1000).fill(1), socket: new Socketish(), n: 3, f: () => 1 }),
    ).toEqual({
      rtt: '[Array(1000)]',
      socket: '[Socketish]',
      n: 3,
    });
    expect(lightValue(new Map([[1, 2]]))).toBe('[Map(1)]');
    expect(lightValue({ a: { b: { c: { d: 1 } } } })).toEqual({ a: { b: { c: '[Object]' } } });
  });
});
