import { join } from 'node:path';
import { type AnyActorRef, createActor, toPromise } from 'xstate';
import { type ClientSessionInput, clientSessionMachine } from '../../src/actors/client';
import {
  type ServerInput,
  selectAddress,
  selectIsUp,
  serverMachine,
} from '../../src/actors/server';
import { createMemoryNetwork } from '../../src/transport';
import { advance, simulatedTime, tempDir } from './simulation';
import { until } from './until';

/**
 * Everything a machine test needs, fresh per test: a temporary folder, an in-memory network,
 * a simulated clock, and starters for the server and client machines wired to all three;
 * `teardown()` (in afterEach) stops whatever the test left running.
 */
export async function simulatedWorld() {
  const dir = await tempDir();
  const network = createMemoryNetwork();
  const time = simulatedTime();

  const actors: Array<{ actor: AnyActorRef; done: Promise<unknown>; stop: () => void }> = [];

  async function startServer(extra: Partial<ServerInput> = {}) {
    const actor = createActor(serverMachine, {
      clock: time.sim,
      input: {
        transport: network,
        host: '127.0.0.1',
        port: 0,
        outDir: join(dir.path, 'server'),
        clock: time.clock,
        ...extra,
      },
    });
    const done = toPromise(actor);
    actors.push({ actor, done, stop: () => actor.send({ type: 'server.stop' }) });
    actor.start();
    await until(() => selectIsUp(actor.getSnapshot()));
    return { actor, done, port: selectAddress(actor.getSnapshot())?.port ?? 0 };
  }

  function startClient(
    input: Partial<ClientSessionInput> & { server: { host: string; port: number } },
  ) {
    const actor = createActor(clientSessionMachine, {
      clock: time.sim,
      input: { transport: network, outDir: join(dir.path, 'client'), clock: time.clock, ...input },
    });
    const done = toPromise(actor);
    actors.push({
      actor,
      done,
      stop: () => actor.send({ type: 'session.stop', reason: 'test teardown' }),
    });
    actor.start();
    return { actor, done };
  }

  /**
   * Call in afterEach: stops every client and server the test started that is still running,
   * moving simulated time on (bounded) until each has finished its files, then removes the
   * folder. No actor, timer or file handle outlives its test.
   */
  async function teardown(): Promise<void> {
    const running = () => actors.filter(({ actor }) => actor.getSnapshot().status === 'active');
    for (const { stop } of running()) stop();
    for (let step = 0; step < 600 && running().length > 0; step++) {
      await advance(time.sim, 100, 10);
    }
    await Promise.all(actors.map(({ done }) => done.catch(() => undefined)));
    await dir.remove();
  }

  return { dir, network, time, startServer, startClient, teardown };
}

export type SimulatedWorld = Awaited<ReturnType<typeof simulatedWorld>>;
