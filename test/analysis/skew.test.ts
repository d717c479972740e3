import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeRun } from '../../src/analysis';
import { startClient, startServer } from '../../src/runtime';
import { skewedClock, systemClock } from '../../src/time';
import { tcpTransport } from '../../src/transport';

/**
 * `timeswarm server --skew` shifts the server's wall clock; the analysis must find the shift
 * again from the four timestamps alone. On loopback both one-way delays are a few hundred µs,
 * so the error of θ (half their difference) is far below the 0.5 ms the issue allows.
 */
describe.each([25, -25])('a server with a skew of %d ms', (skewMs) => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'timeswarm-skew-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is recovered by analyze as the median offset θ (server minus client)', async () => {
    const server = await startServer({
      transport: tcpTransport,
      host: '127.0.0.1',
      port: 0,
      outDir: join(dir, 'server'),
      clock: skewedClock(systemClock, skewMs),
    });
    try {
      const sessions = [1, 2].map((clientId) =>
        startClient({
          transport: tcpTransport,
          server: { host: '127.0.0.1', port: server.address.port },
          requestedId: clientId,
          intervalMs: 10,
          durationMs: 1200,
          outDir: join(dir, `client_${clientId}`),
        }),
      );
      const summaries = await Promise.all(sessions.map((s) => s.done));
      expect(summaries.map((s) => s.outcome)).toEqual(['done', 'done']);
    } finally {
      server.actor.send({ type: 'server.stop', reason: 'test over' });
      await server.done;
    }

    const { analysis } = await analyzeRun([dir]);
    expect(analysis.clients).toHaveLength(2);
    for (const client of analysis.clients) {
      expect(client.replies).toBeGreaterThan(0);
      expect(Math.abs(client.offsetMs!.median - skewMs)).toBeLessThan(0.5);
      expect(Math.abs(client.filteredOffsetMs!.median - skewMs)).toBeLessThan(0.5);
    }
  });
});
