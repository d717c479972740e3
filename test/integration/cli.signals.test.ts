import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseTimestampTable } from '../../src/storage';
import { killAll, timeswarm, timeswarmServer } from '../helpers/cliProcess';
import { tempDir } from '../helpers/simulation';

let dir: { path: string; remove: () => Promise<void> };

beforeEach(async () => {
  dir = await tempDir('timeswarm-cli-');
});
afterEach(async () => {
  killAll();
  await dir.remove();
});

test('SIGINT on the server: clients are told, every file is finished, exit code 0', async () => {
  const server = await timeswarmServer(['--port', '0', '--out', join(dir.path, 'server')]);
  const port = server.port;
  const client = timeswarm([
    'client',
    '--server',
    `127.0.0.1:${port}`,
    '--id',
    '4',
    '--reconnect',
    '0',
    '--duration',
    '1m',
    '--out',
    join(dir.path, 'client'),
    '--json',
  ]);
  await server.waitFor(/client 4 joined/);
  await new Promise((resolve) => setTimeout(resolve, 300));
  server.child.kill('SIGINT');

  expect(await server.exited).toBe(0);
  expect(await client.exited).toBe(1); // the session did not complete: the server ended it
  const summary = JSON.parse(client.output().stdout) as {
    error: { code: string };
    replies: number;
    ticksSent: number;
  };
  expect(summary.error.code).toBe('ERR_SERVER_BYE');

  const serverTable = parseTimestampTable(
    await readFile(join(dir.path, 'server', 'serverTimeData.txt'), 'utf8'),
  );
  expect(serverTable.endedAbruptly).toBe(false);
  const clientTable = parseTimestampTable(
    await readFile(join(dir.path, 'client', 'client_4_TimeData.txt'), 'utf8'),
  );
  expect(clientTable.end?.endedEarly).toMatch(/SIGINT/);
  // Every reply the client logged is a reply row the server logged.
  expect(clientTable.rows.length).toBe(summary.ticksSent + summary.replies);
  expect(serverTable.rows.length).toBeGreaterThanOrEqual(2 * summary.replies);
});

test('SIGTERM on a client: it drains, finishes its files as ended early, exits 0', async () => {
  const server = await timeswarmServer(['--port', '0', '--out', join(dir.path, 'server')]);
  const port = server.port;
  const client = timeswarm([
    'client',
    '--server',
    `127.0.0.1:${port}`,
    '--duration',
    '1m',
    '--out',
    join(dir.path, 'c'),
  ]);
  await client.waitFor(/ticking every 10 ms/);
  await new Promise((resolve) => setTimeout(resolve, 300));
  client.child.kill('SIGTERM');
  expect(await client.exited).toBe(0);
  const table = parseTimestampTable(
    await readFile(join(dir.path, 'c', 'client_1_TimeData.txt'), 'utf8'),
  );
  expect(table.end?.endedEarly).toBe('stopped by SIGTERM');
  expect(table.rows.length % 2).toBe(0); // drained: every tick has its reply
  server.child.kill('SIGTERM');
  expect(await server.exited).toBe(0);
});

test('a bad flag is refused with a message naming it and exit code 1', async () => {
  const bad = timeswarm(['client', '--interval', 'often']);
  expect(await bad.exited).toBe(1);
  expect(bad.output().stderr).toMatch(/--interval.*often/);
});
