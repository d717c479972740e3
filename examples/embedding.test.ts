/**
 * Embedding the actors in your own tests: a server and two clients on an in-memory network,
 * driven by XState's SimulatedClock, so a 1-minute run takes well under a second and no
 * socket is opened. Files are still real; they go to a temporary folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActor, SimulatedClock, toPromise } from 'xstate';
import {
  clientSessionMachine,
  createMemoryNetwork,
  selectAddress,
  serverMachine,
  simulatedClock,
} from '../src';

test('two clients, one simulated minute, no sockets', async () => {
  const outDir = await mkdtemp(join(tmpdir(), 'timeswarm-embed-'));
  const sim = new SimulatedClock(); // drives the machines' delays…
  const clock = simulatedClock(sim); // …and the tick grid and timestamps, from the same time
  const network = createMemoryNetwork();
  const ioTurn = () => new Promise((resolve) => setImmediate(resolve));

  const server = createActor(serverMachine, {
    clock: sim,
    input: {
      transport: network,
      host: 'server',
      port: 5555,
      outDir: join(outDir, 'server'),
      clock,
    },
  });
  server.start();
  while (!selectAddress(server.getSnapshot())) await ioTurn(); // the file opens for real

  const clients = [1, 2].map((id) =>
    createActor(clientSessionMachine, {
      clock: sim,
      input: {
        transport: network,
        server: { host: 'server', port: 5555 },
        requestedId: id,
        localAddress: `127.0.0.${id + 1}`, // a label: nothing is bound on a memory network
        durationMs: 60_000,
        outDir: join(outDir, `client_${id}`),
        clock,
      },
    }),
  );
  const results = Promise.all(clients.map((client) => toPromise(client)));
  for (const client of clients) client.start();
  while (!clients.every((c) => c.getSnapshot().matches({ session: 'ticking' }))) await ioTurn();

  // One simulated minute in 10 ms steps (a simulated clock jumps; longer steps would skip slots).
  for (let t = 0; t <= 60_000; t += 10) {
    sim.increment(10);
    await Promise.resolve();
    if (t % 1000 === 0) await ioTurn();
  }
  while (clients.some((c) => c.getSnapshot().status === 'active')) await ioTurn();

  const summaries = await results;
  expect(summaries.map((s) => [s.clientId, s.ticksSent, s.replies, s.lost])).toEqual([
    [1, 6000, 6000, 0],
    [2, 6000, 6000, 0],
  ]);

  server.send({ type: 'server.stop' });
  while (server.getSnapshot().status === 'active') {
    sim.increment(10);
    await ioTurn();
  }
  expect(server.getSnapshot().output?.rows).toBe(4 * 6000);
  await rm(outDir, { recursive: true, force: true });
});
