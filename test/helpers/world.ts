import { join } from 'node:path';
import { createActor, toPromise } from 'xstate';
import { type ClientSessionInput, clientSessionMachine } from '../../src/actors/client';
import {
  type ServerInput,
  selectAddress,
  selectIsUp,
  serverMachine,
} from '../../src/actors/server';
import { createMemoryNetwork } from '../../src/transport';
import { simulatedTime, tempDir } from './simulation';
import { until } from './until';

/**
 * Everything a machine test needs, fresh per test: a temporary folder, an in-memory network,
 * a simulated clock, and starters for the server and client machines wired to all three.
 */
export async function simulatedWorld() {
  const dir = await tempDir();
  const network = createMemoryNetwork();
  const time = simulatedTime();

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
    actor.start();
    return { actor, done };
  }

  return { dir, network, time, startServer, startClient };
}

export type SimulatedWorld = Awaited<ReturnType<typeof simulatedWorld>>;
