import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clientTableName, exchangeLogName, SERVER_TABLE_NAME } from '../../src/storage';
import { within } from '../helpers/rawServer';
import { tempDir } from '../helpers/simulation';
import { readTable, startTcpClient, startTcpServer, type TcpServer } from '../helpers/tcp';

/**
 * Our files where someone else controls the folder: a symlink planted at a table, a sidecar
 * or the server's file is refused with ERR_SYMLINK (its target never written), and a client
 * whose folder cannot be made at all ends with the fs code instead of spinning.
 */

let dir: { path: string; remove: () => Promise<void> };
let server: TcpServer | null = null;
let target: string;
beforeEach(async () => {
  dir = await tempDir('timeswarm-symlinks-');
  target = join(dir.path, 'precious.txt');
  await writeFile(target, 'not yours\n');
});
afterEach(async () => {
  await server?.stop();
  server = null;
  await dir.remove();
});

const session = { intervalMs: 10, durationMs: 300, flushIntervalMs: 50, retry: { attempts: 1 } };

test('a symlink at serverTimeData.txt: startServer rejects with ERR_SYMLINK; its target is untouched', async () => {
  const outDir = join(dir.path, 'server');
  await mkdir(outDir);
  await symlink(target, join(outDir, SERVER_TABLE_NAME));
  const failure = await startTcpServer({ outDir }).then(
    (started) => {
      server = started;
      return null;
    },
    (error: { code?: string }) => error,
  );
  expect(failure?.code).toBe('ERR_SYMLINK');
  expect(await readFile(target, 'utf8')).toBe('not yours\n');
});

test.each([
  ['table', clientTableName(6)],
  ['sidecar', exchangeLogName(6)],
])(
  'a symlink at a client’s %s: the session fails with ERR_SYMLINK; the target is untouched, no row is sent',
  async (_what, name) => {
    server = await startTcpServer({ outDir: join(dir.path, 'server') });
    const outDir = join(dir.path, 'client');
    await mkdir(outDir);
    await symlink(target, join(outDir, name));
    const client = startTcpClient(server.port, { ...session, requestedId: 6, outDir });
    const summary = await within(client.done, 30_000, 'client session');
    expect(summary.outcome).toBe('failed');
    expect(summary.error?.code).toBe('ERR_SYMLINK');
    expect(summary.ticksSent).toBe(0);
    expect(await readFile(target, 'utf8')).toBe('not yours\n');
    const serverSummary = await server.stop();
    server = null;
    expect((await readTable(serverSummary.file)).rows).toHaveLength(0);
  },
);

test('a client whose folder cannot be made (/proc/nope) ends failed with ENOENT, no spin, no row', async () => {
  server = await startTcpServer({ outDir: join(dir.path, 'server') });
  const client = startTcpClient(server.port, { ...session, outDir: '/proc/nope' });
  const summary = await within(client.done, 30_000, 'client session');
  expect(summary.outcome).toBe('failed');
  expect(summary.error?.code).toBe('ENOENT');
  expect(summary.ticksSent).toBe(0);
});
