import { type FileHandle, mkdir, open, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileError, StorageError } from './errors';

/**
 * Appends text to a file in batches: `append` only buffers (cheap enough for the hot path),
 * `flush` writes everything buffered in one call, `close` flushes, writes a last piece,
 * fsyncs and closes. Writes never overlap and keep their order.
 */
export interface BatchedAppender {
  readonly path: string;
  /** Characters buffered and not yet handed to the OS. */
  readonly pendingChars: number;
  /** Bytes handed to the OS so far. */
  readonly writtenBytes: number;
  append(text: string): void;
  flush(): Promise<void>;
  close(lastText?: string): Promise<void>;
  /** Closes the file without writing what is buffered (after a failure); never throws. */
  abandon(): Promise<void>;
}

/**
 * Creates (or truncates) `path`, creating its folder, and writes `header` first.
 *
 * @throws StorageError with the fs code (`EACCES`, `ENOSPC`, `EROFS`…) and the path.
 */
export async function openBatchedAppender(path: string, header = ''): Promise<BatchedAppender> {
  let handle: FileHandle;
  try {
    await mkdir(dirname(path), { recursive: true }).catch((error: NodeJS.ErrnoException) => {
      // The folder's name is taken by a file: let `open` report that as ENOTDIR, which says
      // what is wrong, rather than mkdir's EEXIST, which reads as "the file already exists".
      if (error.code !== 'EEXIST') throw error;
    });
    handle = await open(path, 'w');
  } catch (cause) {
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
    if (regular) await unlink(path).catch(() => undefined);
    throw fileError('write to', path, cause);
  }
  let buffer: string[] = [];
  let pendingChars = 0;
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  const writeOut = (): Promise<void> => {
    chain = chain.then(async () => {
      if (buffer.length === 0) return;
      const bytes = Buffer.from(buffer.join(''), 'utf8');
      buffer = [];
      pendingChars = 0;
      try {
        writtenBytes += await writeAll(handle, bytes);
      } catch (cause) {
        throw fileError('write to', path, cause);
      }
    });
    return chain;
  };

  return {
    path,
    get pendingChars() {
      return pendingChars;
    },
    get writtenBytes() {
      return writtenBytes;
    },
    append(text) {
      if (closed) throw new StorageError(`Append after close: ${path}`, 'ERR_CLOSED', path);
      buffer.push(text);
      pendingChars += text.length;
    },
    flush: writeOut,
    async abandon() {
      if (closed) return;
      closed = true;
      buffer = [];
      await chain.catch(() => undefined);
      await handle.close().catch(() => undefined);
    },
    async close(lastText) {
      if (closed) return;
      if (lastText) buffer.push(lastText);
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

/** Writes every byte: one write(2) may take only part of them (a nearly full disk, a signal). */
async function writeAll(handle: FileHandle, bytes: Buffer): Promise<number> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, null);
    if (bytesWritten <= 0)
      throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    offset += bytesWritten;
  }
  return offset;
}
