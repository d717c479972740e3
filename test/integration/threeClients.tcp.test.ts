import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientSessionSummary } from '../../src';
import { startClient, startServer } from '../../src/runtime';
import { loopbackAddresses } from '../../src/runtime/loopback';
import { parseExchangeLog, parseTimestampTable } from '../../src/storage';
import { tcpTransport } from '../../src/transport';
import { tempDir } from '../helpers/simulation';

const DURATION_MS = 1500;
const INTERVAL_MS = 10;
const PLANNED = DURATION_MS / INTERVAL_MS;

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => dir.remove());

test('one server and three staggered clients over real TCP: every row accounted for', async () => {
  const server = await startServer({
    transport: tcpTransport,
    host: '127.0.0.1',
    port: 0,
    outDir: join(dir.path, 'server'),
  });
  // Registered at once so that a failing assertion below still stops the server.
  const stopServer = () => server.actor.send({ type: 'server.stop' });
  try {
    const addresses = await loopbackAddresses(3);
    const sessions: Promise<ClientSessionSummary>[] = [];
    for (let i = 0; i < 3; i++) {
      const session = startClient({
        transport: tcpTransport,
        server: { host: '127.0.0.1', port: server.address.port },
        requestedId: i + 1,
        localAddress: addresses[i]!,
        intervalMs: INTERVAL_MS,
        durationMs: DURATION_MS,
        outDir: join(dir.path, `client_${i + 1}`),
      });
      sessions.push(session.done);
      // Client 1 is exchanging when 2 and 3 start (Part II): wait for its first replies.
      if (i === 0) {
        await new Promise<void>((resolve) => {
          const sub = session.actor.subscribe((s) => {
            if (s.context.replies > 10) {
              sub.unsubscribe();
              resolve();
            }
          });
        });
      }
    }
    const clients = await Promise.all(sessions);
    stopServer();
    const served = await server.done;

    let clientRows = 0;
    for (const [i, summary] of clients.entries()) {
      expect(summary).toMatchObject({
        outcome: 'done',
        clientId: i + 1,
        plannedTicks: PLANNED,
        error: null,
      });
      // Every tick that left got its reply; slots the busy machine missed are counted, not sent.
      expect(summary.ticksSent + summary.missedSlots).toBe(PLANNED);
      expect(summary.replies).toBe(summary.ticksSent);
      expect(summary.lost).toBe(0);

      const table = parseTimestampTable(await readFile(summary.files!.table, 'utf8'));
      const me = addresses[i]!;
      const ticks = table.rows.filter((r) => r.senderIp === me && r.receiverIp === '127.0.0.1');
      const replies = table.rows.filter((r) => r.senderIp === '127.0.0.1' && r.receiverIp === me);
      expect(ticks).toHaveLength(summary.ticksSent);
      expect(replies).toHaveLength(summary.replies);
      expect(table.rows).toHaveLength(ticks.length + replies.length);
      expect(table.rows.map((r) => r.index)).toEqual(table.rows.map((_, n) => n + 1));
      expect(table.end?.endedEarly).toBeUndefined();
      expect(table.end!.durationMs).toBeGreaterThanOrEqual(DURATION_MS);
      clientRows += table.rows.length;

      const sidecar = parseExchangeLog(await readFile(summary.files!.exchanges, 'utf8'));
      expect(sidecar.records).toHaveLength(summary.ticksSent);
      for (const r of sidecar.records) {
        expect(r.t2).not.toBeNull();
        expect(r.t4! - r.t1).toBeGreaterThanOrEqual(0); // same host, same clock
      }
    }

    const serverTable = parseTimestampTable(await readFile(served.file, 'utf8'));
    expect(serverTable.rows).toHaveLength(clientRows);
    expect(served.rows).toBe(clientRows);
    expect(serverTable.end).not.toBeNull();
    const senders = new Set(
      serverTable.rows.map((r) => r.senderIp).filter((ip) => ip !== '127.0.0.1'),
    );
    if (addresses.every((a) => a !== '127.0.0.1'))
      expect([...senders].sort()).toEqual([...addresses].sort());
    expect(served.clients.map((c) => c.clientId).sort()).toEqual([1, 2, 3]);
  } finally {
    stopServer();
    await server.done;
  }
});
