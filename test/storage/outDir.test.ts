import { execFileSync } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  EXCHANGE_LOG_SUFFIX,
  exchangeLogName,
  MAX_DIRECTORY_DEPTH,
  makeDirectory,
  moveAside,
  openBatchedAppender,
  prepareOutputDirectory,
  StorageError,
} from '../../src/storage';
import { tempDir } from '../helpers/simulation';

/** Runs `fn`, expecting a StorageError; returns it. */
async function storageErrorOf(fn: () => Promise<unknown>): Promise<StorageError> {
  const error = await fn().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StorageError);
  return error as StorageError;
}

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir('timeswarm-outdir-');
});
afterEach(() => dir.remove());

describe('makeDirectory', () => {
  test('creates every missing folder on the way, and accepts one that exists', async () => {
    const deep = join(dir.path, 'a', 'b', 'c');
    await makeDirectory(deep);
    expect((await stat(deep)).isDirectory()).toBe(true);
    await makeDirectory(deep);
    await makeDirectory(dir.path);
  });

  test('a folder that cannot be made under /proc fails with ENOENT and its path (Node’s recursive mkdir spins for ever there)', async () => {
    const err = await storageErrorOf(() => makeDirectory('/proc/nope/deeper'));
    expect(err.code).toBe('ENOENT');
    expect(err.path).toBe('/proc/nope/deeper');
  });

  test('a regular file on the way is ENOTDIR', async () => {
    await writeFile(join(dir.path, 'file'), 'x');
    const err = await storageErrorOf(() => makeDirectory(join(dir.path, 'file', 'sub')));
    expect(err.code).toBe('ENOTDIR');
  });

  test('walks through a symlink to a folder', async () => {
    await mkdir(join(dir.path, 'real'));
    await symlink(join(dir.path, 'real'), join(dir.path, 'link'));
    await makeDirectory(join(dir.path, 'link', 'sub'));
    expect((await stat(join(dir.path, 'real', 'sub'))).isDirectory()).toBe(true);
  });

  test('many at once making the same folders all succeed (EEXIST on the way is fine)', async () => {
    const target = join(dir.path, 'x', 'y', 'z');
    await Promise.all(Array.from({ length: 20 }, () => makeDirectory(target)));
    expect((await stat(target)).isDirectory()).toBe(true);
  });

  test(`refuses more than ${MAX_DIRECTORY_DEPTH} missing levels instead of walking without bound`, async () => {
    const tooDeep = join(dir.path, ...Array.from({ length: MAX_DIRECTORY_DEPTH + 2 }, () => 'd'));
    const err = await storageErrorOf(() => makeDirectory(tooDeep));
    expect(err.code).toBe('ENOENT');
    expect(await readdir(dir.path)).toEqual([]); // nothing made
  });
});

describe('prepareOutputDirectory', () => {
  test('makes the folder and leaves nothing in it', async () => {
    const out = join(dir.path, 'run', 'client');
    await prepareOutputDirectory(out);
    expect(await readdir(out)).toEqual([]);
  });

  test('an empty path is ERR_EMPTY_PATH (it would otherwise mean the current folder)', async () => {
    expect((await storageErrorOf(() => prepareOutputDirectory(''))).code).toBe('ERR_EMPTY_PATH');
  });

  test('a folder that exists but cannot be written to fails with the fs code', async () => {
    // /sys is read-only even for root (EACCES, or EROFS where it is mounted read-only).
    const err = await storageErrorOf(() => prepareOutputDirectory('/sys'));
    expect(['EACCES', 'EROFS']).toContain(err.code);
    expect(err.path).toBe('/sys');
  });

  test('/proc/nope fails with ENOENT', async () => {
    expect((await storageErrorOf(() => prepareOutputDirectory('/proc/nope'))).code).toBe('ENOENT');
  });
});

describe('symlinks and rotation at our file paths', () => {
  test('openBatchedAppender refuses a symlink at the path (ERR_SYMLINK); the target is untouched', async () => {
    const target = join(dir.path, 'precious');
    await writeFile(target, 'keep me\n');
    const path = join(dir.path, 'client_6_TimeData.txt');
    await symlink(target, path);
    const err = await storageErrorOf(() => openBatchedAppender(path, 'header\n'));
    expect(err.code).toBe('ERR_SYMLINK');
    expect(err.path).toBe(path);
    expect(await readFile(target, 'utf8')).toBe('keep me\n');
  });

  test('a dangling symlink is refused too: nothing is created at its target', async () => {
    const path = join(dir.path, 'serverTimeData.txt');
    await symlink(join(dir.path, 'elsewhere'), path);
    expect((await storageErrorOf(() => openBatchedAppender(path))).code).toBe('ERR_SYMLINK');
    expect((await storageErrorOf(() => moveAside(path))).code).toBe('ERR_SYMLINK');
    expect(await readdir(dir.path)).toEqual(['serverTimeData.txt']);
  });

  test('moveAside refuses a symlink (it would otherwise move the link and leave the target to be written later)', async () => {
    const target = join(dir.path, 'precious');
    await writeFile(target, 'keep me\n');
    const path = join(dir.path, 'client_6_TimeData.txt');
    await symlink(target, path);
    expect((await storageErrorOf(() => moveAside(path))).code).toBe('ERR_SYMLINK');
    expect((await lstat(path)).isSymbolicLink()).toBe(true);
  });

  test('moveAside refuses what is not a regular file: a folder, a FIFO (opening one to write would block)', async () => {
    await mkdir(join(dir.path, 'folder.txt'));
    expect((await storageErrorOf(() => moveAside(join(dir.path, 'folder.txt')))).code).toBe(
      'ERR_NOT_A_FILE',
    );
    execFileSync('mkfifo', [join(dir.path, 'fifo.txt')]);
    expect((await storageErrorOf(() => moveAside(join(dir.path, 'fifo.txt')))).code).toBe(
      'ERR_NOT_A_FILE',
    );
  });

  test('the sidecar is kept as client_N_TimeData.1.exchanges.csv, beside client_N_TimeData.1.txt', async () => {
    const sidecar = join(dir.path, exchangeLogName(6));
    await writeFile(sidecar, 'first\n');
    expect(await moveAside(sidecar)).toBe(
      join(dir.path, `client_6_TimeData.1${EXCHANGE_LOG_SUFFIX}`),
    );
    await writeFile(sidecar, 'second\n');
    expect(await moveAside(sidecar)).toBe(
      join(dir.path, `client_6_TimeData.2${EXCHANGE_LOG_SUFFIX}`),
    );
  });

  test('a name taken by a dangling symlink is skipped, never written through', async () => {
    const path = join(dir.path, 'serverTimeData.txt');
    await writeFile(path, 'run 1\n');
    await symlink(join(dir.path, 'elsewhere'), join(dir.path, 'serverTimeData.1.txt'));
    expect(await moveAside(path)).toBe(join(dir.path, 'serverTimeData.2.txt'));
    expect(await readdir(dir.path)).not.toContain('elsewhere');
  });
});
