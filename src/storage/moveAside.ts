import { extname } from 'node:path';
import { fileError } from './errors';
import { type FileSystem, nodeFileSystem } from './fileSystem';

/**
 * Renames an existing file at `path` to the first free `name.1.ext`, `name.2.ext`, … so that
 * a file about to be created there does not destroy it (a restarted server keeps the rows of
 * its previous run). Returns the new path, or `null` when there was no file.
 */
export async function moveAside(
  path: string,
  fs: FileSystem = nodeFileSystem,
): Promise<string | null> {
  if (!(await exists(path, fs))) return null;
  const ext = extname(path);
  const base = path.slice(0, path.length - ext.length);
  for (let n = 1; n < 10_000; n++) {
    const candidate = `${base}.${n}${ext}`;
    if (await exists(candidate, fs)) continue;
    try {
      await fs.rename(path, candidate);
    } catch (cause) {
      throw fileError('move aside', path, cause);
    }
    return candidate;
  }
  throw fileError('move aside', path, new Error('10,000 earlier copies already exist'));
}

async function exists(path: string, fs: FileSystem): Promise<boolean> {
  try {
    await fs.stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw fileError('inspect', path, error);
  }
}
