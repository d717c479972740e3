import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clientTableName, exchangeLogName, SERVER_TABLE_NAME } from '../../src/storage';
import { within } from '../helpers/rawServer';
import { readTable } from '../helpers/tcp';
import { tcpWorld } from '../helpers/tcpWorld';

/**
 * Our files where someone else controls the folder: a symlink planted at a table, a sidecar
 * or the server's file is refused with ERR_SYMLINK (its target never written), and a client
 * whose folder cannot be made at all ends with the fs code instead of spinning.
 */

const world = tcpWorld('timeswarm-symlinks-');
let target: string;
beforeEach(async () => {
  target = join(world.dir, 'precious.txt');
  await writeFile(target, 'not yours\n');
});

const session = { intervalMs: 10, durationMs: 300, flushIntervalMs: 50, retry: { attempts: 1 } };

test('a symlink at serverTimeData.txt: startServer rejects with ERR_SYMLINK; its target is untouched', async () => {
  const outDir = join(world.dir, 'server');
  await mkdir(outDir);
  await symlink(target, join(outDir, SERVER_TABLE_NAME));
  const failure = await world.startServer({ outDir }).then(
    () => null,
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
    const server = await world.startServer({ outDir: join(world.dir, 'server') });
    const outDir = join(world.dir, 'client');
    await mkdir(outDir);
    await symlink(target, join(outDir, name));
    const client = world.startClient({ port: server.port, ...session, requestedId: 6, outDir });
    const summary = await within(client.done, 30_000, 'client session');
    expect(summary.outcome).toBe('failed');
    expect(summary.error?.code).toBe('ERR_SYMLINK');
    expect(summary.ticksSent).toBe(0);
    expect(await readFile(target, 'utf8')).toBe('not yours\n');
    const serverSummary = await server.stop();
    expect((await readTable(serverSummary.file)).rows).toHaveLength(0);
  },
);

test('a client whose folder cannot be made (/proc/nope) ends failed with ENOENT, no spin, no row', async () => {
  const server = await world.startServer({ outDir: join(world.dir, 'server') });
  const client = world.startClient({ port: server.port, ...session, outDir: '/proc/nope' });
  const summary = await within(client.done, 30_000, 'client session');
  expect(summary.outcome).toBe('failed');
  expect(summary.error?.code).toBe('ENOENT');
  expect(summary.ticksSent).toBe(0);
});
