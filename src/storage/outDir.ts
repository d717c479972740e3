import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileError, StorageError } from './errors';
import { type FileSystem, nodeFileSystem } from './fileSystem';

/** Deepest folder {@link makeDirectory} creates or walks through (a bound, like every loop). */
export const MAX_DIRECTORY_DEPTH = 256;

/**
 * `mkdir -p` with a bounded walk: each missing folder from the top down is created with a
 * plain (non-recursive) `mkdir`, and the first failure is the answer.
 *
 * Why not `mkdir(path, { recursive: true })`: on some filesystems a missing folder cannot be
 * created though its parent exists (`/proc/nope` gives ENOENT), and Node's recursive mkdir
 * then retries the parent and the child for ever, spinning a core in a libuv thread and never
 * settling its promise. Here `/proc/nope` fails at once with ENOENT and its path.
 *
 * Folders on the way may be symlinks to folders (`/tmp` on some systems is one).
 *
 * @throws StorageError with the fs code (`ENOENT`, `ENOTDIR`, `EACCES`, `EROFS`…) and the
 * path that could not be made.
 */
export async function makeDirectory(
  path: string,
  options: { mode?: number; fs?: FileSystem } = {},
): Promise<void> {
  const fs = options.fs ?? nodeFileSystem;
  const missing: string[] = [];
  let current = resolve(path);
  // Walk up to the first folder that exists.
  for (;;) {
    const info = await fs.stat(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw fileError('create folder', path, error);
    });
    if (info) {
      if (!info.isDirectory()) {
        throw fileError('create folder', path, errno('ENOTDIR', `${current} is not a folder`));
      }
      break;
    }
    missing.push(current);
    const parent = dirname(current);
    if (parent === current || missing.length > MAX_DIRECTORY_DEPTH) {
      throw fileError('create folder', path, errno('ENOENT', 'too deep, or no root'));
    }
    current = parent;
  }
  // Create the missing ones from the top down, each exactly once.
  for (const folder of missing.reverse()) {
    try {
      await fs.mkdir(folder, options.mode === undefined ? {} : { mode: options.mode });
    } catch (error) {
      // Someone else made it meanwhile: fine if it is a folder.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw fileError('create folder', path, error);
      }
      const info = await fs.stat(folder).catch(() => null);
      if (!info?.isDirectory()) throw fileError('create folder', path, error);
    }
  }
}

/**
 * Makes the output folder and proves it can be written to (a probe file is created with
 * O_EXCL and removed), before anything else starts: a server that could not write its file,
 * or a client that would connect and tick for nothing, fails at once instead, naming the
 * folder. An empty path is refused (it would otherwise mean the current folder).
 *
 * @throws StorageError `ERR_EMPTY_PATH`, or the fs code (`ENOENT`, `ENOTDIR`, `EACCES`,
 * `EROFS`, `ENOSPC`…) with the folder's path.
 */
export async function prepareOutputDirectory(
  path: string,
  fs: FileSystem = nodeFileSystem,
): Promise<void> {
  if (path.length === 0) {
    throw new StorageError('The output folder must not be empty', 'ERR_EMPTY_PATH', path);
  }
  await makeDirectory(path, { fs });
  const probe = resolve(path, `.timeswarm-probe-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    const handle = await fs.open(probe, flags, 0o600);
    await handle.close();
  } catch (error) {
    throw fileError('write to folder', path, error);
  }
  await fs.unlink(probe).catch(() => undefined);
}

function errno(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}
