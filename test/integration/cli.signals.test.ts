import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseTimestampTable } from '../../src/storage';
import { tempDir } from '../helpers/simulation';

const BIN = join(__dirname, '..', '..', 'bin', 'timeswarm.cjs');

let dir: { path: string; remove: () => Promise<void> };
const children: ChildProcessWithoutNullStreams[] = [];

beforeEach(async () => {
  dir = await tempDir('timeswarm-cli-');
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await dir.remove();
});

function timeswarm(args: string[]) {
  const child = spawn(process.execPath, [BIN, '--log-level', 'info', ...args]);
  children.push(child);
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number);
  const waitFor = async (pattern: RegExp, limitMs = 30_000) => {
    const deadline = Date.now() + limitMs;
    while (!pattern.test(stderr)) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`no ${pattern} in:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return pattern.exec(stderr)!;
  };
  return { child, exited, waitFor, output: () => ({ stderr, stdout }) };
}

test('SIGINT on the server: clients are told, every file is finished, exit code 0', async () => {
  const server = timeswarm([
    'server',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--out',
    join(dir.path, 'server'),
  ]);
  const [, port] = await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
  const client = timeswarm([
    'client',
    '--server',
    `127.0.0.1:${port}`,
    '--id',
    '4',
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
  const server = timeswarm([
    'server',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--out',
    join(dir.path, 'server'),
  ]);
  const [, port] = await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
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
