import { constants } from 'node:fs';
import { dirname } from 'node:path';
import { fileError, StorageError } from './errors';
import { type FileSystem, nodeFileSystem, type WritableFile } from './fileSystem';
import { entryKind, symlinkRefused } from './moveAside';
import { makeDirectory } from './outDir';

/** Create or truncate, and never through a symlink at the path (O_NOFOLLOW: ELOOP instead). */
const CREATE_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

/**
 * Appends text to a file in batches: `append` only buffers (cheap enough for the hot path),
 * `flush` writes everything buffered in one call, `close` flushes, writes a last piece,
 * fsyncs and closes. Writes never overlap and keep their order.
 */
export interface BatchedAppender {
  readonly path: string;
  /** Bytes buffered and not yet handed to the OS. */
  readonly pendingBytes: number;
  /** Bytes handed to the OS so far. */
  readonly writtenBytes: number;
  append(text: string): void;
  flush(): Promise<void>;
  close(lastText?: string): Promise<void>;
  /** Closes the file without writing what is buffered (after a failure); never throws. */
  abandon(): Promise<void>;
}

/**
 * Creates (or truncates) `path`, creating its folder, and writes `header` first. Every call
 * goes through `fs` (the real file system unless a test stands in for a failing disk). A
 * symlink at `path` is refused (`ERR_SYMLINK`), never followed: whoever planted it cannot
 * have us overwrite its target.
 *
 * @throws StorageError with the fs code (`EACCES`, `ENOSPC`, `EROFS`, `ENOTDIR`…) or
 * `ERR_SYMLINK`, and the path.
 */
export async function openBatchedAppender(
  path: string,
  header = '',
  fs: FileSystem = nodeFileSystem,
): Promise<BatchedAppender> {
  let handle: WritableFile;
  try {
    await makeDirectory(dirname(path), { fs }).catch((error: StorageError) => {
      // The folder's name is taken by a file: let `open` report that as ENOTDIR for the
      // file's own path, which says what is wrong.
      if (error.code !== 'ENOTDIR') throw error;
    });
    handle = await fs.open(path, CREATE_FLAGS, 0o644);
  } catch (cause) {
    if (cause instanceof StorageError) throw cause;
    if ((cause as NodeJS.ErrnoException).code === 'ELOOP') {
      if ((await entryKind(path, fs).catch(() => null)) === 'symlink') throw symlinkRefused(path);
    }
    throw fileError('create', path, cause);
  }
  // The header is written now, not buffered: a disk that is already full fails the open,
  // and no empty file that does not parse is left under the final name.
  let writtenBytes = 0;
  try {
    writtenBytes = await writeAll(handle, Buffer.from(header, 'utf8'));
  } catch (cause) {
    // Remove what we just created, and only a regular file: never a device such as /dev/full.
    const regular = await handle.stat().then(
      (st) => st.isFile(),
      () => false,
    );
    await handle.close().catch(() => undefined);
    if (regular) await fs.unlink(path).catch(() => undefined);
    throw fileError('write to', path, cause);
  }
  // Lines are encoded into off-heap slabs as they are appended. Keeping them as JS strings
  // until the flush (and joining them then) made the writer spend most of its time in the
  // garbage collector: see BENCHMARKS.md, writer throughput.
  let slabs: Buffer[] = [];
  let slab = Buffer.allocUnsafe(SLAB_BYTES);
  let used = 0;
  let pendingBytes = 0;
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  const sealSlab = () => {
    if (used > 0) slabs.push(slab.subarray(0, used));
    slab = Buffer.allocUnsafe(SLAB_BYTES);
    used = 0;
  };
  const push = (text: string) => {
    const worst = text.length * 3; // UTF-8 bytes per UTF-16 code unit, at most
    if (used + worst > slab.length) {
      sealSlab();
      if (worst > slab.length) slab = Buffer.allocUnsafe(worst);
    }
    const n = slab.write(text, used, 'utf8');
    used += n;
    pendingBytes += n;
  };

  const writeOut = (): Promise<void> => {
    chain = chain.then(async () => {
      sealSlab();
      const parts = slabs;
      slabs = [];
      pendingBytes = 0;
      try {
        for (const part of parts) writtenBytes += await writeAll(handle, part);
      } catch (cause) {
        throw fileError('write to', path, cause);
      }
    });
    return chain;
  };

  return {
    path,
    get pendingBytes() {
      return pendingBytes;
    },
    get writtenBytes() {
      return writtenBytes;
    },
    append(text) {
      if (closed) throw new StorageError(`Append after close: ${path}`, 'ERR_CLOSED', path);
      push(text);
    },
    flush: writeOut,
    async abandon() {
      if (closed) return;
      closed = true;
      slabs = [];
      used = 0;
      await chain.catch(() => undefined);
      await handle.close().catch(() => undefined);
    },
    async close(lastText) {
      if (closed) return;
      if (lastText) push(lastText);
      closed = true;
      try {
        await writeOut();
        await handle.sync();
      } catch (cause) {
        throw cause instanceof StorageError ? cause : fileError('sync', path, cause);
      } finally {
        await handle.close().catch(() => undefined);
      }
    },
  };
}

/** Size of the buffers lines are encoded into before a flush writes them. */
const SLAB_BYTES = 64 * 1024;

/** Writes every byte: one write(2) may take only part of them (a nearly full disk, a signal). */
async function writeAll(handle: WritableFile, bytes: Buffer): Promise<number> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, null);
    if (bytesWritten <= 0)
      throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    offset += bytesWritten;
  }
  return offset;
}
