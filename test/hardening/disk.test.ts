import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { selectStatus } from '../../src/actors/server';
import { parseTimestampTable } from '../../src/storage';
import { type DiskFaults, faultyFileSystem } from '../helpers/faultyFileSystem';
import { captureLogger, readTable, rowsFrom } from '../helpers/tcp';
import { tcpWorld } from '../helpers/tcpWorld';
import { until } from '../helpers/until';

/**
 * The disk fails under the server or a client: a folder that cannot be made, a disk that is
 * full or read-only from the start, one that fills up or starts failing (EIO) mid-session.
 * Faults come through the FileSystem interface (test/helpers/faultyFileSystem.ts), which
 * writes real files until the fault, so the suite runs in ordinary CI without mount rights.
 */

const SERVER_FILE = 'serverTimeData.txt';
const world = tcpWorld('timeswarm-disk-');

describe('the server cannot write its file', () => {
  test('outDir under a regular file: startServer rejects with ENOTDIR; no file appears', async () => {
    const blocker = world.path('not-a-folder');
    writeFileSync(blocker, 'x');
    const outDir = join(blocker, 'server');
    const failure = await world.startServer({ outDir }).then(
      () => null,
      (error: { code?: string; message: string }) => error,
    );
    expect(failure?.code).toBe('ENOTDIR');
    expect(existsSync(join(outDir, SERVER_FILE))).toBe(false);
  });

  test('a client whose outDir is under a regular file fails with ENOTDIR and logs no row anywhere', async () => {
    const s = await world.startServer();
    const blocker = world.path('not-a-folder');
    writeFileSync(blocker, 'x');
    const client = world.startClient({ outDir: join(blocker, 'client'), durationMs: 500 });
    const summary = await client.done;
    expect(summary.outcome).toBe('failed');
    expect(summary.error?.code).toBe('ENOTDIR');
    expect(summary.ticksSent).toBe(0);
    await until(() => selectStatus(s.actor.getSnapshot()).served.length === 1);
    const stopped = await s.stop();
    expect(stopped.clients[0]).toMatchObject({ ticks: 0 });
    expect((await readTable(stopped.file)).rows).toHaveLength(0);
  });
});

describe.each([
  ['full', { freeBytes: 0 }, 'ENOSPC'],
  ['read-only', { open: 'EROFS' }, 'EROFS'],
] as Array<[string, DiskFaults, string]>)(
  'a %s disk when the server starts',
  (_what, faults, code) => {
    // The header is written at open: the start fails, and no empty file that does not parse is
    // left under the final name.
    test(`startServer rejects with ${code}; no unparseable file under the final name`, async () => {
      const outDir = world.path('server');
      const failure = await world
        .startServer({ outDir, fs: faultyFileSystem(faults), logger: captureLogger().logger })
        .then(
          () => null,
          (error: { code?: string }) => error,
        );
      expect(failure?.code).toBe(code);
      const path = join(outDir, SERVER_FILE);
      if (existsSync(path))
        expect(() => parseTimestampTable(readFileSync(path, 'utf8'))).not.toThrow();
    });
  },
);

describe.each([
  ['fills up (ENOSPC)', { freeBytes: 8 * 1024 }, 'ENOSPC'],
  ['starts failing (EIO)', { freeBytes: 8 * 1024, full: 'EIO' }, 'EIO'],
] as Array<[string, DiskFaults, string]>)(
  'the server’s disk %s mid-session',
  (_what, faults, code) => {
    test('the server fails with the code and says bye; its file parses (ended abruptly) and agrees with the client', async () => {
      // 8 KiB: about 120 rows, well under a second of one client at 10 ms.
      const s = await world.startServer({ fs: faultyFileSystem(faults) });
      const session = world.startClient({
        localAddress: '127.0.0.2',
        durationMs: 10_000,
        reconnect: { attempts: 0 },
      });
      const summary = await s.done;
      const client = await session.done;
      const serverTable = await readTable(summary.file);
      const clientTable = await readTable(client.files!.table);

      expect(summary.outcome).toBe('failed');
      expect(summary.error?.code).toBe(code);
      expect(serverTable.endedAbruptly).toBe(true);
      expect(serverTable.rows.length).toBeGreaterThan(0);
      const serverTicks = rowsFrom(serverTable, '127.0.0.2', '127.0.0.1').map((r) => r.timeMicros);
      const clientTicks = rowsFrom(clientTable, '127.0.0.2', '127.0.0.1').map((r) => r.timeMicros);
      expect(serverTicks).toEqual(clientTicks.slice(0, serverTicks.length));

      // On writer.failed the server goes through `stopping`: the client is told why, and is
      // not left hanging: it ends with a code and an ended-early footer.
      expect(client.outcome).toBe('failed');
      expect(client.error?.code).toBe('ERR_SERVER_BYE');
      expect(clientTable.end?.endedEarly).toBeDefined();
      expect(clientTable.rows).toHaveLength(client.ticksSent + client.replies);

      // writer.failed carries the count of rows handed to the writer; those of the last,
      // failed flush are not on disk, so the file may hold fewer.
      expect(summary.rows).toBeGreaterThanOrEqual(serverTable.rows.length);
      expect(summary.clients).toHaveLength(1);
    });
  },
);

describe.each([
  ['fills up (ENOSPC)', { freeBytes: 4 * 1024 }, 'ENOSPC'],
  ['starts failing (EIO)', { freeBytes: 4 * 1024, full: 'EIO' }, 'EIO'],
  ['is read-only (EROFS)', { open: 'EROFS' }, 'EROFS'],
] as Array<[string, DiskFaults, string]>)('a client’s disk %s', (_what, faults, code) => {
  test('the session fails with the code; the server sees the client go and keeps serving', async () => {
    const s = await world.startServer();
    const summary = await world.startClient({
      durationMs: 10_000,
      reconnect: { attempts: 0 },
      fs: faultyFileSystem(faults),
    }).done;
    expect(summary.outcome).toBe('failed');
    expect(summary.error?.code).toBe(code);
    await until(() => selectStatus(s.actor.getSnapshot()).served.length === 1);
    // The server is unharmed: the next client completes.
    const next = await world.startClient({ durationMs: 200 }).done;
    expect(next.outcome).toBe('done');
    const stopped = await s.stop();
    expect(stopped.outcome).toBe('stopped');
    expect(await readFile(stopped.file, 'utf8')).toMatch(/End of Timestamp Data/);
  });
});
