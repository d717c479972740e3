import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientSessionSummary } from '../../src/actors/client';
import { type ServerSummary, selectStatus } from '../../src/actors/server';
import { type ParsedTable, parseTimestampTable } from '../../src/storage';
import { tempDir } from '../helpers/simulation';
import {
  captureLogger,
  readTable,
  rowsFrom,
  startTcpClient,
  startTcpServer,
  type TcpServer,
} from '../helpers/tcp';
import { until } from '../helpers/until';

const SERVER_FILE = 'serverTimeData.txt';

/** Mounts a tmpfs of `size` at a fresh folder; null (and why) when this host does not allow it. */
function mountTmpfs(size: string): { path: string; unmount: () => void } | { reason: string } {
  const path = mkdtempSync(join(tmpdir(), 'timeswarm-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (error) {
    rmdirSync(path);
    return { reason: String((error as { stderr?: Buffer }).stderr ?? error).trim() };
  }
  return {
    path,
    unmount: () => {
      execFileSync('umount', [path], { stdio: 'pipe' });
      rmdirSync(path);
    },
  };
}

// Whether a tiny disk can be simulated here (needs root and mount rights, e.g. not in every
// container). Probed once; the disk-full tests are skipped, with the reason, when it cannot.
const probe = mountTmpfs('64k');
const canMount = 'unmount' in probe;
if (canMount) probe.unmount();
else console.warn(`disk-full tests skipped: cannot mount a tmpfs (${probe.reason})`);
const describeWithTmpfs = canMount ? describe : describe.skip;

/** Fills a fresh 64 KiB tmpfs so that only `freeBytes` (rounded to pages) stay free. */
function smallDisk(freeBytes: number) {
  const disk = mountTmpfs('64k');
  if (!('unmount' in disk)) throw new Error(disk.reason);
  try {
    writeFileSync(join(disk.path, 'filler'), Buffer.alloc(64 * 1024 - freeBytes));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  }
  return disk;
}

let dir: { path: string; remove: () => Promise<void> };
let server: TcpServer | null = null;
beforeEach(async () => {
  dir = await tempDir('timeswarm-disk-');
});
afterEach(async () => {
  await server?.stop();
  server = null;
  await dir.remove();
});

describe('the server cannot write its file', () => {
  test('outDir under a regular file: startServer rejects with ENOTDIR; no file appears', async () => {
    const blocker = join(dir.path, 'not-a-folder');
    writeFileSync(blocker, 'x');
    const outDir = join(blocker, 'server');
    const failure = await startTcpServer({ outDir }).then(
      () => null,
      (error: { code?: string; message: string }) => error,
    );
    expect(failure?.code).toBe('ENOTDIR');
    console.log(`ENOTDIR: startServer rejected: ${failure?.message}`);
    expect(existsSync(join(outDir, SERVER_FILE))).toBe(false);
  });

  test('a client whose outDir is under a regular file fails with ENOTDIR and logs no row anywhere', async () => {
    server = await startTcpServer({ outDir: join(dir.path, 'server') });
    const s = server;
    const blocker = join(dir.path, 'not-a-folder');
    writeFileSync(blocker, 'x');
    const client = startTcpClient(s.port, { outDir: join(blocker, 'client'), durationMs: 500 });
    const summary = await client.done;
    expect(summary.outcome).toBe('failed');
    expect(summary.error?.code).toBe('ENOTDIR');
    expect(summary.ticksSent).toBe(0);
    await until(() => selectStatus(s.actor.getSnapshot()).served.length === 1);
    const stopped = await s.stop();
    server = null;
    expect(stopped.clients[0]).toMatchObject({ ticks: 0 });
    expect((await readTable(stopped.file)).rows).toHaveLength(0);
  });
});

describeWithTmpfs('disk full (a 64 KiB tmpfs)', () => {
  describe('already full when the server starts', () => {
    let disk: ReturnType<typeof smallDisk>;
    let started: 'resolved' | 'rejected';
    let failure: { code?: string } | null = null;
    let summary: ServerSummary | null = null;
    let fileText: string | null = null;

    beforeAll(async () => {
      disk = smallDisk(0);
      const outDir = join(disk.path, 'server');
      try {
        const s = await startTcpServer({ outDir, logger: captureLogger().logger });
        started = 'resolved';
        // It listens, then fails at its first flush (stopped after 3 s if it does not).
        const timer = setTimeout(() => s.actor.send({ type: 'server.stop' }), 3000);
        summary = await s.done.finally(() => clearTimeout(timer));
      } catch (error) {
        started = 'rejected';
        failure = error as { code?: string };
      }
      const path = join(outDir, SERVER_FILE);
      fileText = existsSync(path) ? await readFile(path, 'utf8') : null;
      console.log(
        `full disk at start: startServer ${started}; summary ${JSON.stringify(summary?.error ?? failure)}; file under the final name: ${fileText === null ? 'none' : `${fileText.length} bytes`}`,
      );
    });
    afterAll(() => disk.unmount());

    test('the server ends failed with ENOSPC (it never runs without its file)', () => {
      const code = started === 'rejected' ? failure?.code : summary?.error?.code;
      expect(code).toBe('ENOSPC');
      if (summary) expect(summary.outcome).toBe('failed');
    });

    // The header is written at open: a full disk fails the start, and no empty file that
    // does not parse is left under the final name.
    test('startServer rejects with ENOSPC and leaves no unparseable file under the final name', () => {
      expect(started).toBe('rejected');
      expect(failure?.code).toBe('ENOSPC');
      if (fileText !== null) expect(() => parseTimestampTable(fileText!)).not.toThrow();
    });
  });

  describe('filling up mid-session', () => {
    let disk: ReturnType<typeof smallDisk>;
    let summary: ServerSummary;
    let client: ClientSessionSummary;
    let serverTable: ParsedTable;
    let clientTable: ParsedTable;
    let clientDir: Awaited<ReturnType<typeof tempDir>>;

    beforeAll(async () => {
      clientDir = await tempDir('timeswarm-disk-client-');
      disk = smallDisk(8 * 1024); // about 120 rows, i.e. under a second of one client
      const s = await startTcpServer({ outDir: join(disk.path, 'server') });
      const session = startTcpClient(s.port, {
        localAddress: '127.0.0.2',
        durationMs: 10_000,
        outDir: join(clientDir.path, 'client'),
        reconnect: { attempts: 0 },
      });
      summary = await s.done;
      client = await session.done;
      serverTable = await readTable(summary.file);
      clientTable = await readTable(client.files!.table);
      console.log(
        `disk full mid-session: server ${summary.outcome} ${summary.error?.code}, summary rows ${summary.rows}, file rows ${serverTable.rows.length}; client ${client.error?.code} after ${client.replies} replies`,
      );
    });
    afterAll(async () => {
      disk.unmount();
      await clientDir.remove();
    });

    test('the server fails with ENOSPC; its file still parses (ended abruptly) and agrees with the client', () => {
      expect(summary.outcome).toBe('failed');
      expect(summary.error?.code).toBe('ENOSPC');
      expect(serverTable.endedAbruptly).toBe(true);
      expect(serverTable.rows.length).toBeGreaterThan(0);
      const serverTicks = rowsFrom(serverTable, '127.0.0.2', '127.0.0.1').map((r) => r.timeMicros);
      const clientTicks = rowsFrom(clientTable, '127.0.0.2', '127.0.0.1').map((r) => r.timeMicros);
      expect(serverTicks).toEqual(clientTicks.slice(0, serverTicks.length));
    });

    test('the client is not left hanging: it ends with a code and an ended-early footer', () => {
      expect(client.outcome).toBe('failed');
      expect(['ERR_CONNECTION_CLOSED', 'ECONNRESET', 'ERR_SERVER_BYE']).toContain(
        client.error?.code,
      );
      expect(clientTable.end?.endedEarly).toBeDefined();
      expect(clientTable.rows).toHaveLength(client.ticksSent + client.replies);
    });

    // On writer.failed the server goes through `stopping`: every client gets a bye saying why.
    test('the client is told why: the server says bye before it goes', () => {
      expect(client.error?.code).toBe('ERR_SERVER_BYE');
    });

    // writer.failed carries the count of rows handed to the writer; those of the last,
    // failed flush are not on disk, so the file may hold fewer.
    test('the failed server’s summary counts the rows it wrote and the client it served', () => {
      expect(summary.rows).toBeGreaterThanOrEqual(serverTable.rows.length);
      expect(serverTable.rows.length).toBeGreaterThan(0);
      expect(summary.clients).toHaveLength(1);
    });
  });
});
