import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from 'xstate';
import { type Clock, simulatedClock } from '../../src/time';
import {
  type ClientMessage,
  type Connection,
  createFramedConnection,
  type MemoryNetwork,
  parseClientMessage,
  type ServerMessage,
} from '../../src/transport';

/** A simulated clock pair: `sim` for `createActor(…, { clock })`, `clock` for machine input. */
export function simulatedTime(): { sim: SimulatedClock; clock: Clock } {
  const sim = new SimulatedClock();
  return { sim, clock: simulatedClock(sim) };
}

/** Lets promises, microtasks and real I/O callbacks (file writes) run. */
export const settle = (turns = 3) =>
  (async () => {
    for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
  })();

/**
 * Advances simulated time in steps no longer than a tick interval (a simulated clock jumps,
 * so a longer step would look like missed slots). Microtasks (in-memory deliveries) run after
 * every step; real I/O callbacks (file flushes) every few steps.
 */
export async function advance(sim: SimulatedClock, ms: number, stepMs = 10): Promise<void> {
  let step = 0;
  for (let t = 0; t < ms; t += stepMs) {
    sim.increment(Math.min(stepMs, ms - t));
    for (let i = 0; i < 5; i++) await Promise.resolve();
    if (++step % 20 === 0) await settle(1);
  }
  await settle(1);
}

export async function tempDir(
  prefix = 'timeswarm-',
): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/**
 * A scripted server on an in-memory network, for faults the real server never makes:
 * silence, held replies, resets. `onMessage` decides what to do with each client message.
 */
export async function scriptedServer(
  network: MemoryNetwork,
  onMessage: (message: ClientMessage, connection: Connection<ClientMessage, ServerMessage>) => void,
): Promise<{
  port: number;
  connections: Connection<ClientMessage, ServerMessage>[];
  close: () => Promise<void>;
}> {
  const listener = await network.listen({ host: '127.0.0.1', port: 0 });
  const connections: Connection<ClientMessage, ServerMessage>[] = [];
  listener.accept((channel) => {
    const connection = createFramedConnection<ClientMessage, ServerMessage>(channel, {
      parse: parseClientMessage,
    });
    connections.push(connection);
    connection.messages$.subscribe({
      next: ({ message }) => onMessage(message, connection),
      error: () => undefined,
    });
  });
  return { port: listener.port, connections, close: () => listener.close() };
}

/** The usual welcome for a scripted server. */
export const welcome = (clientId = 1): ServerMessage => ({
  type: 'welcome',
  version: 1,
  clientId,
  serverTime: 0,
});
