import { extname } from 'node:path';
import { fileError, StorageError } from './errors';
import { EXCHANGE_LOG_SUFFIX } from './exchangeLog';
import { type FileSystem, nodeFileSystem } from './fileSystem';

/** Suffixes that are one extension: the sidecar is kept as `client_3_TimeData.1.exchanges.csv`. */
const COMPOUND_SUFFIXES = [EXCHANGE_LOG_SUFFIX];

/**
 * Renames an existing file at `path` to the first free `name.1.ext`, `name.2.ext`, … so that
 * a file about to be created there does not destroy it (a restarted server keeps the rows of
 * its previous run; a client run again with the same ID keeps its earlier table and sidecar).
 * Returns the new path, or `null` when there was no file.
 *
 * Only a regular file is moved. A symlink at `path` is refused (`ERR_SYMLINK`): following it
 * would let whoever planted it have us write, or rename, a file elsewhere. Anything else that
 * is not a regular file (a folder, a FIFO, a device) is refused with `ERR_NOT_A_FILE`.
 */
export async function moveAside(
  path: string,
  fs: FileSystem = nodeFileSystem,
): Promise<string | null> {
  const kind = await entryKind(path, fs);
  if (kind === null) return null;
  if (kind === 'symlink') throw symlinkRefused(path);
  if (kind === 'other') {
    throw new StorageError(`Not a regular file: ${path}`, 'ERR_NOT_A_FILE', path);
  }
  const ext = COMPOUND_SUFFIXES.find((suffix) => path.endsWith(suffix)) ?? extname(path);
  const base = path.slice(0, path.length - ext.length);
  for (let n = 1; n < 10_000; n++) {
    const candidate = `${base}.${n}${ext}`;
    // Anything there, even a dangling symlink, makes the name taken.
    if ((await entryKind(candidate, fs)) !== null) continue;
    try {
      await fs.rename(path, candidate);
    } catch (cause) {
      throw fileError('move aside', path, cause);
    }
    return candidate;
  }
  throw fileError('move aside', path, new Error('10,000 earlier copies already exist'));
}

/** The error for a symlink found where one of our files goes. */
export function symlinkRefused(path: string): StorageError {
  return new StorageError(
    `Refusing to write through a symlink: ${path} (remove it, or choose another folder)`,
    'ERR_SYMLINK',
    path,
  );
}

/** What is at `path`, without following a symlink there; `null` when nothing is. */
export async function entryKind(
  path: string,
  fs: FileSystem = nodeFileSystem,
): Promise<'file' | 'symlink' | 'other' | null> {
  try {
    const info = await fs.lstat(path);
    if (info.isSymbolicLink()) return 'symlink';
    return info.isFile() ? 'file' : 'other';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fileError('inspect', path, error);
  }
}
