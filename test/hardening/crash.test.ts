import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { selectProgress } from '../../src/actors/client';
import { selectStatus } from '../../src/actors/server';
import type { ParsedRow } from '../../src/storage';
import { parseExchangeLog } from '../../src/storage';
import { killAll, timeswarm } from '../helpers/cliProcess';
import { captureLogger, readTable, rowsFrom } from '../helpers/tcp';
import { tcpWorld } from '../helpers/tcpWorld';
import { sleep, until } from '../helpers/until';

const INTERVAL_MS = 10;
const FLUSH_INTERVAL_MS = 200;
/** Ticks a SIGKILL may cost a file: one flush interval of them, plus slack for a busy machine. */
const MAX_LOST_TICKS = FLUSH_INTERVAL_MS / INTERVAL_MS + 10;

const world = tcpWorld('timeswarm-crash-');
afterEach(killAll);

const t = (rows: ParsedRow[]) => rows.map((r) => r.timeMicros);

test('a client killed with SIGKILL: the server keeps every row it acknowledged; the client file lost at most one flush interval', async () => {
  const log = captureLogger();
  const server = await world.startServer({ outDir: join(world.dir, 'server'), logger: log.logger });
  const s = server;
  const ip = '127.0.0.7';
  const client = timeswarm([
    'client',
    '--server',
    `127.0.0.1:${s.port}`,
    '--id',
    '7',
    '--bind',
    ip,
    '--duration',
    '1m',
    '--out',
    join(world.dir, 'client'),
    '--quiet',
  ]);
  await client.waitFor(/ticking every 10 ms/);
  await sleep(1000);
  client.child.kill('SIGKILL');
  expect(await client.ended).toEqual({ code: null, signal: 'SIGKILL' });
  await until(() => selectStatus(s.actor.getSnapshot()).served.length === 1);
  const stopped = await s.stop();
  const [gone] = stopped.clients;
  console.log(`server saw the killed client as ${gone!.code} after ${gone!.ticks} ticks`);
  expect(gone).toMatchObject({ clientId: 7, address: ip });
  // It was ticking (about 100 a second; far fewer when the machine is loaded); the point is
  // what happens to the rows, not how many there were.
  expect(gone!.ticks).toBeGreaterThan(10);

  // The server's file: finished, numbered, exactly two rows per tick it answered.
  const serverTable = await readTable(stopped.file);
  expect(serverTable.endedAbruptly).toBe(false);
  const serverTicks = rowsFrom(serverTable, ip, '127.0.0.1');
  const serverReplies = rowsFrom(serverTable, '127.0.0.1', ip);
  expect(serverTicks).toHaveLength(gone!.ticks);
  expect(serverReplies).toHaveLength(gone!.ticks);

  // The client's file: no footer, parses, and is a prefix of what the server logged.
  const clientTable = await readTable(join(world.dir, 'client', 'client_7_TimeData.txt'));
  expect(clientTable.endedAbruptly).toBe(true);
  expect(clientTable.end).toBeNull();
  const clientTicks = rowsFrom(clientTable, ip, '127.0.0.1');
  const clientReplies = rowsFrom(clientTable, '127.0.0.1', ip);
  expect(clientTicks.length + clientReplies.length).toBe(clientTable.rows.length);
  const common = Math.min(clientTicks.length, serverTicks.length);
  expect(t(clientTicks).slice(0, common)).toEqual(t(serverTicks).slice(0, common));
  expect(t(clientReplies)).toEqual(t(serverReplies).slice(0, clientReplies.length));
  // A tick the client logged but the server never read can only be the very last ones.
  expect(clientTicks.length).toBeLessThanOrEqual(serverTicks.length + 2);
  const lostTicks = serverTicks.length - clientTicks.length;
  const lostReplies = serverReplies.length - clientReplies.length;
  console.log(
    `SIGKILL client: server answered ${serverTicks.length}; client file has ${clientTicks.length} ticks and ${clientReplies.length} replies (lost ${lostTicks} / ${lostReplies})`,
  );
  expect(lostTicks).toBeLessThanOrEqual(MAX_LOST_TICKS);
  expect(lostReplies).toBeLessThanOrEqual(MAX_LOST_TICKS);

  // Its sidecar parses too (a cut last line is dropped), with no more exchanges than ticks.
  const sidecar = parseExchangeLog(
    await readFile(join(world.dir, 'client', 'client_7_TimeData.exchanges.csv'), 'utf8'),
  );
  expect(sidecar.end).toBeNull();
  expect(sidecar.records.length).toBeLessThanOrEqual(serverTicks.length);
});

test('the server killed with SIGKILL: its file parses as ended abruptly; clients end with a code and an ended-early footer', async () => {
  const child = timeswarm([
    'server',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--out',
    join(world.dir, 'server'),
  ]);
  const [, port] = await child.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
  const ips = ['127.0.0.2', '127.0.0.3'];
  const clients = ips.map((ip, i) =>
    world.startClient({
      port: Number(port),
      localAddress: ip,
      requestedId: i + 1,
      durationMs: 30_000,
      retry: { attempts: 1 },
      // Nobody restarts this server: two quick reconnection attempts, then the session ends.
      reconnect: { attempts: 2, initialDelayMs: 50, maxDelayMs: 100 },
      outDir: join(world.dir, `client_${i + 1}`),
    }),
  );
  await until(() => clients.every((c) => selectProgress(c.actor.getSnapshot()).replies > 100));
  child.child.kill('SIGKILL');
  const summaries = await Promise.all(clients.map((c) => c.done));

  const serverTable = await readTable(join(world.dir, 'server', 'serverTimeData.txt'));
  expect(serverTable.endedAbruptly).toBe(true);
  for (const [i, summary] of summaries.entries()) {
    const ip = ips[i]!;
    expect(summary.outcome).toBe('failed');
    expect(['ECONNRESET', 'ERR_CONNECTION_CLOSED']).toContain(summary.error?.code);
    expect(summary.endedEarly).not.toBeNull();
    expect(summary.reconnections).toBe(0);
    const table = await readTable(summary.files!.table);
    expect(table.endedAbruptly).toBe(false);
    expect(table.end?.endedEarly).toBeDefined();
    const clientTicks = rowsFrom(table, ip, '127.0.0.1');
    const clientReplies = rowsFrom(table, '127.0.0.1', ip);
    expect(clientTicks).toHaveLength(summary.ticksSent);
    expect(clientReplies).toHaveLength(summary.replies);

    // What the server had flushed is a prefix of what the client sent and received; the
    // server lost at most the last flush interval of the replies it had sent.
    const serverTicks = rowsFrom(serverTable, ip, '127.0.0.1');
    const serverReplies = rowsFrom(serverTable, '127.0.0.1', ip);
    expect(t(serverTicks)).toEqual(t(clientTicks).slice(0, serverTicks.length));
    expect(t(serverReplies)).toEqual(t(clientReplies).slice(0, serverReplies.length));
    console.log(
      `SIGKILL server: client ${i + 1} ${summary.error?.code}, ${summary.replies} replies; server file has ${serverReplies.length} of them`,
    );
    expect(summary.replies - serverReplies.length).toBeLessThanOrEqual(MAX_LOST_TICKS);
  }
});

test('the server killed and restarted on its port: clients reconnect and finish; every row of both server runs matches the clients', async () => {
  const serverDir = join(world.dir, 'server');
  const first = timeswarm(['server', '--host', '127.0.0.1', '--port', '0', '--out', serverDir]);
  const port = Number((await first.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1]);
  const ips = ['127.0.0.2', '127.0.0.3'];
  const DURATION_MS = 4000;
  const clients = ips.map((ip, i) =>
    world.startClient({
      port,
      localAddress: ip,
      requestedId: i + 1,
      durationMs: DURATION_MS,
      outDir: join(world.dir, `client_${i + 1}`),
      reconnect: { attempts: 30, initialDelayMs: 100, maxDelayMs: 200 },
    }),
  );
  await until(() => clients.every((c) => selectProgress(c.actor.getSnapshot()).replies > 80));
  first.child.kill('SIGKILL');
  await first.exited;
  // The restart runs in this process: a second `node` start could outlast the session.
  const server = await world.startServer({ port, outDir: serverDir });
  const summaries = await Promise.all(clients.map((c) => c.done));
  const stopped = await server.stop();
  expect(stopped.outcome).toBe('stopped');

  // The first run's file was moved aside, not overwritten.
  const before = await readTable(join(serverDir, 'serverTimeData.1.txt'));
  const after = await readTable(stopped.file);
  expect(before.endedAbruptly).toBe(true);
  expect(after.endedAbruptly).toBe(false);
  for (const [i, summary] of summaries.entries()) {
    const ip = ips[i]!;
    expect(summary).toMatchObject({ outcome: 'done', reconnections: 1, endedEarly: null });
    expect(summary.offlineSlots).toBeGreaterThan(0);
    // Only ticks sent between the kill and the moment the client noticed (a few ms on
    // loopback, more on a busy machine) go unanswered: the last ones before the gap.
    expect(summary.lost).toBeLessThanOrEqual(MAX_LOST_TICKS);
    const records = parseExchangeLog(await readFile(summary.files!.exchanges, 'utf8')).records;
    let gapAt = 1; // index of the first tick after the longest jump in seq: the reconnection
    for (let r = 1; r < records.length; r++) {
      const jump = records[r]!.seq - records[r - 1]!.seq;
      if (jump > records[gapAt]!.seq - records[gapAt - 1]!.seq) gapAt = r;
    }
    const unanswered = records.flatMap((r, n) => (r.t2 === null ? [n] : []));
    expect(unanswered).toHaveLength(summary.lost);
    expect(unanswered).toEqual(
      Array.from({ length: unanswered.length }, (_, n) => gapAt - unanswered.length + n),
    );
    expect(summary.ticksSent + summary.offlineSlots + summary.missedSlots).toBe(
      DURATION_MS / INTERVAL_MS,
    );
    const table = await readTable(summary.files!.table);
    expect(table.end?.notes).toMatch(/^1 reconnection, \d+ slots skipped while disconnected$/);
    const clientTicks = t(rowsFrom(table, ip, '127.0.0.1'));
    const clientReplies = t(rowsFrom(table, '127.0.0.1', ip));

    // First run: a prefix of the client's rows, short of at most one flush interval.
    const ticks1 = t(rowsFrom(before, ip, '127.0.0.1'));
    const replies1 = t(rowsFrom(before, '127.0.0.1', ip));
    expect(ticks1).toEqual(clientTicks.slice(0, ticks1.length));
    expect(replies1).toEqual(clientReplies.slice(0, replies1.length));
    // Second run: exactly the ticks it answered after the reconnect, every one of them in
    // the client's file too (a clean stop: nothing lost).
    const ticks2 = t(rowsFrom(after, ip, '127.0.0.1'));
    const replies2 = t(rowsFrom(after, '127.0.0.1', ip));
    expect(ticks2).toHaveLength(stopped.clients.find((c) => c.clientId === i + 1)!.ticks);
    expect(replies2).toHaveLength(ticks2.length);
    expect(ticks2).toEqual(clientTicks.slice(clientTicks.length - ticks2.length));
    expect(replies2).toEqual(clientReplies.slice(clientReplies.length - replies2.length));
    const acknowledged = summary.replies;
    const logged = replies1.length + replies2.length;
    console.log(
      `restart: client ${i + 1} got ${acknowledged} replies (lost ${summary.lost}), ${summary.offlineSlots} slots offline; server files hold ${replies1.length} + ${replies2.length}`,
    );
    expect(logged).toBeLessThanOrEqual(acknowledged);
    expect(acknowledged - logged).toBeLessThanOrEqual(MAX_LOST_TICKS);
  }
});
