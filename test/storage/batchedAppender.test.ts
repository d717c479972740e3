import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  openBatchedAppender,
  openRecordFile,
  parseTimestampTable,
  type RecordFormat,
  StorageError,
  timestampTableFormat,
} from '../../src/storage';

/** Runs `fn`, expecting a StorageError; returns it. */
async function storageErrorOf(fn: () => Promise<unknown> | unknown): Promise<StorageError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StorageError);
    return error as StorageError;
  }
  throw new Error('expected a StorageError, nothing was thrown');
}

/** A trivial format: one number per line, a header and an `end` footer. */
const numbers: RecordFormat<number> = {
  header: 'numbers\n',
  line: (value, index) => `${index}:${value}\n`,
  footer: (end) => `end ${end.durationMs}${end.endedEarly ? ` (${end.endedEarly})` : ''}\n`,
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'timeswarm-appender-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('openBatchedAppender', () => {
  it('appends in order across many flushes, awaited or not', async () => {
    const path = join(dir, 'lines.txt');
    const appender = await openBatchedAppender(path, 'header\n');
    expect(appender.path).toBe(path);
    expect(appender.pendingBytes).toBe(0); // the header is written at open
    const expected = ['header\n'];
    const flushes: Promise<void>[] = [];
    for (let batch = 0; batch < 60; batch++) {
      for (let i = 0; i < 25; i++) {
        const line = `${batch}.${i} ünïcødé €\n`;
        appender.append(line);
        expected.push(line);
      }
      // Every third flush is awaited; the others overlap and must still keep their order.
      const flushed = appender.flush();
      if (batch % 3 === 0) await flushed;
      else flushes.push(flushed);
    }
    await Promise.all(flushes);
    expect(appender.pendingBytes).toBe(0);
    const text = expected.join('');
    expect(await readFile(path, 'utf8')).toBe(text);
    expect(appender.writtenBytes).toBe(Buffer.byteLength(text, 'utf8'));
    await appender.close();
  });

  it('hands nothing to the OS before a flush', async () => {
    const path = join(dir, 'lazy.txt');
    const appender = await openBatchedAppender(path, 'header\n');
    appender.append('one\n');
    expect(await readFile(path, 'utf8')).toBe('header\n'); // written at open; rows wait
    expect(appender.pendingBytes).toBe(Buffer.byteLength('one\n'));
    expect(appender.writtenBytes).toBe('header\n'.length);
    await appender.flush();
    expect(await readFile(path, 'utf8')).toBe('header\none\n');
    await appender.close();
  });

  it('close flushes, writes the last piece and ends the file with it', async () => {
    const path = join(dir, 'closed.txt');
    const appender = await openBatchedAppender(path);
    appender.append('a\n');
    await appender.flush();
    appender.append('b\n');
    await appender.close('the end\n');
    const text = await readFile(path, 'utf8');
    expect(text).toBe('a\nb\nthe end\n');
    expect(text.endsWith('the end\n')).toBe(true);
    expect(appender.writtenBytes).toBe((await stat(path)).size);
  });

  it('creates missing folders and truncates an existing file', async () => {
    const path = join(dir, 'deep', 'er', 'file.txt');
    await mkdir(join(dir, 'deep'));
    const first = await openBatchedAppender(path);
    first.append('a long first version\n');
    await first.close();
    const second = await openBatchedAppender(path, 'short\n');
    await second.close();
    expect(await readFile(path, 'utf8')).toBe('short\n');
  });

  it('throws ERR_CLOSED on append after close, and close twice is harmless', async () => {
    const path = join(dir, 'done.txt');
    const appender = await openBatchedAppender(path);
    await appender.close('x\n');
    const err = await storageErrorOf(() => appender.append('late\n'));
    expect(err.code).toBe('ERR_CLOSED');
    expect(err.path).toBe(path);
    await appender.close('again\n');
    await appender.flush();
    expect(await readFile(path, 'utf8')).toBe('x\n');
  });

  it('gives the fs code and the path when a folder on the way is a file (ENOTDIR)', async () => {
    const blocker = join(dir, 'not-a-folder');
    await writeFile(blocker, 'I am a file');
    const path = join(blocker, 'sub', 'file.txt');
    const err = await storageErrorOf(() => openBatchedAppender(path));
    expect(err.code).toBe('ENOTDIR');
    expect(err.path).toBe(path);
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    // Directly under the file, without a folder to create: still ENOTDIR from open.
    const direct = await storageErrorOf(() => openBatchedAppender(join(blocker, 'file.txt')));
    expect(direct.code).toBe('ENOTDIR');
    expect(direct.path).toBe(join(blocker, 'file.txt'));
  });

  it('gives EISDIR and the path when the path is a folder', async () => {
    const err = await storageErrorOf(() => openBatchedAppender(dir));
    expect(err.code).toBe('EISDIR');
    expect(err.path).toBe(dir);
  });

  // /dev/full is on every Linux (the platform these tests run on); the same faults on a
  // regular file, through the FileSystem interface, are in test/storage/fileSystem.test.ts.
  it('writes the header at open: a full disk fails there, and a device is left alone', async () => {
    const err = await storageErrorOf(() => openBatchedAppender('/dev/full', 'header\n'));
    expect(err.code).toBe('ENOSPC');
    expect(err.path).toBe('/dev/full');
    expect(existsSync('/dev/full')).toBe(true);
  });

  it('reports a write error (ENOSPC on /dev/full) with its path, on flush and on close', async () => {
    // No header: opening writes it at once, and the point here is the flush.
    const appender = await openBatchedAppender('/dev/full', '');
    appender.append('row\n');
    const flushErr = await storageErrorOf(() => appender.flush());
    expect(flushErr.code).toBe('ENOSPC');
    expect(flushErr.path).toBe('/dev/full');
    expect(appender.writtenBytes).toBe(0);
    const closeErr = await storageErrorOf(() => appender.close('end\n'));
    expect(closeErr.code).toBe('ENOSPC');
    expect(closeErr.path).toBe('/dev/full');
  });
});

describe('openRecordFile', () => {
  it('numbers records from 1, writes header and footer, and counts bytes', async () => {
    const path = join(dir, 'numbers.txt');
    const file = await openRecordFile(path, numbers);
    expect(file.path).toBe(path);
    for (let i = 0; i < 1000; i++) {
      file.write(i * 10);
      if (i % 97 === 0) await file.flush();
    }
    expect(file.records).toBe(1000);
    await file.finish({ durationMs: 1234, endedEarly: 'stopped' });
    const text = await readFile(path, 'utf8');
    const lines = text.split('\n');
    expect(lines[0]).toBe('numbers');
    expect(lines.slice(1, 1001)).toEqual(
      Array.from({ length: 1000 }, (_, i) => `${i + 1}:${i * 10}`),
    );
    expect(text.endsWith('1000:9990\nend 1234 (stopped)\n')).toBe(true);
    expect(file.writtenBytes).toBe((await stat(path)).size);
  });

  it('writes a table that parses back with its footer', async () => {
    const path = join(dir, 'server', 'serverTimeData.txt');
    const file = await openRecordFile(path, timestampTableFormat);
    const t0 = Date.UTC(2026, 10, 24) * 1000;
    for (let i = 0; i < 300; i++) {
      file.write({ senderIp: '127.0.0.2', receiverIp: '127.0.0.1', timeMicros: t0 + i * 10_000 });
      if (i % 50 === 49) await file.flush();
    }
    await file.finish({ durationMs: 3000 });
    const table = parseTimestampTable(await readFile(path, 'utf8'), path);
    expect(table.rows).toHaveLength(300);
    expect(table.rows.map((r) => r.index)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(table.rows[299]!.timeMicros).toBe(t0 + 299 * 10_000);
    expect(table.end).toEqual({ durationText: '3 seconds', durationMs: 3000 });
    expect(table.endedAbruptly).toBe(false);
  });

  it('throws ERR_CLOSED on write after finish and does not count the record', async () => {
    const path = join(dir, 'finished.txt');
    const file = await openRecordFile(path, numbers);
    file.write(1);
    await file.finish({ durationMs: 5 });
    const err = await storageErrorOf(() => file.write(2));
    expect(err.code).toBe('ERR_CLOSED');
    expect(err.path).toBe(path);
    expect(file.records).toBe(1);
    expect(await readFile(path, 'utf8')).toBe('numbers\n1:1\nend 5\n');
  });

  it('gives StorageError with the fs code and path when it cannot create the file', async () => {
    const blocker = join(dir, 'file');
    await writeFile(blocker, '');
    const path = join(blocker, 'client_1', 'client_1_TimeData.txt');
    const err = await storageErrorOf(() => openRecordFile(path, timestampTableFormat));
    expect(err.code).toBe('ENOTDIR');
    expect(err.path).toBe(path);
  });
});
