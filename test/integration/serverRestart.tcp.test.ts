import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startClient } from '../../src/runtime';
import { parseExchangeLog, parseTimestampTable } from '../../src/storage';
import { tcpTransport } from '../../src/transport';
import { tempDir } from '../helpers/simulation';
import { until } from '../helpers/until';

const BIN = join(__dirname, '..', '..', 'bin', 'timeswarm.cjs');
let dir: { path: string; remove: () => Promise<void> };
const processes: ChildProcess[] = [];

beforeEach(async () => {
  dir = await tempDir('timeswarm-restart-');
});
afterEach(async () => {
  for (const child of processes.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await dir.remove();
});

/** Starts `timeswarm server` and resolves with its port once it listens. */
async function serverProcess(port: number): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [
    BIN,
    'server',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--out',
    join(dir.path, 'server'),
  ]);
  processes.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // The CLI's own line, written once the server runs and right before (in the same turn of
  // the event loop) it handles SIGINT/SIGTERM: a signal sent after it is always handled.
  // (The log's "listening on" comes earlier, while a signal would still kill the process.)
  const listening = () => /timeswarm server listening on 127\.0\.0\.1:(\d+)/.exec(stderr);
  await until(
    () => {
      if (child.exitCode !== null) throw new Error(`server exited:\n${stderr}`);
      return listening() !== null;
    },
    { limitMs: 30_000, everyMs: 20, what: 'the server listening' },
  );
  return { child, port: Number(listening()![1]) };
}

test('the server is killed and restarted mid-session: the client reconnects, resumes and finishes', async () => {
  const first = await serverProcess(0);
  const session = startClient({
    transport: tcpTransport,
    server: { host: '127.0.0.1', port: first.port },
    requestedId: 3,
    // Long enough that a restart slowed down by a loaded machine still comes before the end:
    // a session that ends while the server is away never reconnects.
    durationMs: 15_000,
    outDir: join(dir.path, 'client'),
    // ~30 s of attempts: under load the restarted process can take several seconds.
    reconnect: { attempts: 150, initialDelayMs: 100, maxDelayMs: 200 },
  });
  // Kill the server only once the session ticks (on a loaded machine, connecting can take a
  // while; a kill before that would be a failed first connection, not a reconnection).
  await until(session.actor, (s) => s.matches({ session: 'ticking' }), {
    limitMs: 30_000,
    what: 'the session ticking',
  });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const second = await serverProcess(first.port);
  const summary = await session.done;
  second.child.kill('SIGTERM');
  expect(await once(second.child, 'exit').then(([code]) => code)).toBe(0);

  expect(summary).toMatchObject({
    outcome: 'done',
    clientId: 3,
    reconnections: 1,
    endedEarly: null,
  });
  expect(summary.offlineSlots).toBeGreaterThan(0);
  expect(summary.ticksSent + summary.offlineSlots + summary.missedSlots).toBe(1500);
  // The only ticks lost are the last ones sent before the client noticed the server was gone.
  const sidecar = parseExchangeLog(await readFile(summary.files!.exchanges, 'utf8'));
  const seqs = sidecar.records.map((r) => r.seq).sort((a, b) => a - b);
  const gapAt = seqs.findIndex((seq, i) => i > 0 && seq - seqs[i - 1]! > 1);
  const lastBeforeGap = seqs[gapAt - 1]!;
  const unanswered = sidecar.records.filter((r) => r.t4 === null).map((r) => r.seq);
  expect(unanswered).toHaveLength(summary.lost);
  for (const seq of unanswered) expect(lastBeforeGap - seq).toBeLessThan(summary.lost);

  const client = parseTimestampTable(await readFile(summary.files!.table, 'utf8'));
  expect(client.end?.notes).toMatch(/^1 reconnection, \d+ slots skipped while disconnected$/);
  // The first run's file was kept, not overwritten; it ended abruptly (SIGKILL).
  const before = parseTimestampTable(
    await readFile(join(dir.path, 'server', 'serverTimeData.1.txt'), 'utf8'),
  );
  const after = parseTimestampTable(
    await readFile(join(dir.path, 'server', 'serverTimeData.txt'), 'utf8'),
  );
  expect(before.endedAbruptly).toBe(true);
  expect(after.endedAbruptly).toBe(false);
  // SIGKILL costs at most the last flush interval (200 ms: 20 ticks, 40 rows) and the ticks in flight.
  const serverRows = before.rows.length + after.rows.length;
  expect(serverRows).toBeLessThanOrEqual(client.rows.length);
  expect(client.rows.length - serverRows).toBeLessThanOrEqual(2 * (20 + 5));
});
