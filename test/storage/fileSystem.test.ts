import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openBatchedAppender, StorageError } from '../../src/storage';
import { faultyFileSystem } from '../helpers/faultyFileSystem';
import { tempDir } from '../helpers/simulation';

let dir: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  dir = await tempDir('timeswarm-fs-');
});
afterEach(() => dir.remove());

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => {
      expect(error).toBeInstanceOf(StorageError);
      return { code: (error as StorageError).code, path: (error as StorageError).path };
    },
  );

describe('the batched appender on a failing disk (injected file system)', () => {
  it('a read-only file system: open fails with EROFS and the path; no file is created', async () => {
    const path = join(dir.path, 'out', 'table.txt');
    const fs = faultyFileSystem({ open: 'EROFS' });
    expect(await codeOf(openBatchedAppender(path, 'header\n', fs))).toEqual({
      code: 'EROFS',
      path,
    });
    expect(existsSync(path)).toBe(false);
  });

  it('a full disk at start: the header does not fit, ENOSPC, and the file is removed again', async () => {
    const path = join(dir.path, 'table.txt');
    const fs = faultyFileSystem({ freeBytes: 3 });
    expect(await codeOf(openBatchedAppender(path, 'header\n', fs))).toEqual({
      code: 'ENOSPC',
      path,
    });
    expect(existsSync(path)).toBe(false);
  });

  it.each(['ENOSPC', 'EIO'])(
    'a disk that fails mid-file (%s): the flush that does not fit fails, what fit is on disk',
    async (code) => {
      const path = join(dir.path, 'table.txt');
      const fs = faultyFileSystem({ freeBytes: 20, full: code });
      const appender = await openBatchedAppender(path, 'header\n', fs);
      appender.append('line 1\n');
      await appender.flush();
      appender.append('a line that does not fit\n');
      expect(await codeOf(appender.flush())).toEqual({ code, path });
      await appender.abandon();
      expect(await readFile(path, 'utf8')).toBe('header\nline 1\na line');
      expect(fs.written).toBe(20);
    },
  );

  it.each(['EIO', 'ENOSPC'])(
    'fsync fails at close (%s): close rejects with the code and the handle is released',
    async (code) => {
      const path = join(dir.path, 'table.txt');
      const fs = faultyFileSystem({ sync: code });
      const appender = await openBatchedAppender(path, 'header\n', fs);
      appender.append('line 1\n');
      expect(await codeOf(appender.close('end\n'))).toEqual({ code, path });
      expect(fs.failures).toEqual([`fsync ${code}`]);
      // Everything was written before the fsync; only its durability is unknown.
      expect(await readFile(path, 'utf8')).toBe('header\nline 1\nend\n');
    },
  );
});
