import { constants } from 'node:fs';
import { type FileSystem, nodeFileSystem, type WritableFile } from '../../src/storage';

/** What goes wrong with a simulated disk. Codes are errno codes: `ENOSPC`, `EIO`, `EROFS`, … */
export interface DiskFaults {
  /** Opening a file for writing fails with this code (`EROFS`: a read-only file system). */
  open?: string;
  /**
   * Bytes the disk still takes, over all files opened through it. A write that does not fit
   * writes what does (as write(2) does) and the next one fails with `full`.
   */
  freeBytes?: number;
  /** The code of a write past `freeBytes` (default `ENOSPC`; `EIO` for a failing device). */
  full?: string;
  /** fsync fails with this code (data written but not made durable: `EIO`, or `ENOSPC` on NFS). */
  sync?: string;
}

/** An error shaped as Node's fs errors are: `code`, `errno`, `syscall`, `path`. */
export function errnoError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated ${syscall} failure, '${path}'`), {
    code,
    errno: -1,
    syscall,
    path,
  });
}

/**
 * A file system that writes real files (through `base`) but fails as a full, broken or
 * read-only disk would: give it to a server or client (`fs` in their input) to test disk
 * faults in ordinary CI, without mounting a small tmpfs. `written` counts the bytes it took.
 */
export function faultyFileSystem(
  faults: DiskFaults,
  base: FileSystem = nodeFileSystem,
): FileSystem & { readonly written: number; readonly failures: string[] } {
  let written = 0;
  const failures: string[] = [];
  const fail = (code: string, syscall: string, path: string) => {
    failures.push(`${syscall} ${code}`);
    return errnoError(code, syscall, path);
  };
  const room = () =>
    faults.freeBytes === undefined ? Number.POSITIVE_INFINITY : faults.freeBytes - written;

  const wrap = (file: WritableFile, path: string): WritableFile => ({
    async write(buffer, offset, length, position) {
      const fits = Math.min(length, room());
      if (fits <= 0) throw fail(faults.full ?? 'ENOSPC', 'write', path);
      const result = await file.write(buffer, offset, fits, position);
      written += result.bytesWritten;
      return result;
    },
    async sync() {
      if (faults.sync) throw fail(faults.sync, 'fsync', path);
      await file.sync();
    },
    stat: () => file.stat(),
    close: () => file.close(),
  });

  return {
    get written() {
      return written;
    },
    failures,
    mkdir: (path, options) => base.mkdir(path, options),
    async open(path, flags, mode) {
      if (faults.open && opensForWriting(flags)) throw fail(faults.open, 'open', path);
      return wrap(await base.open(path, flags, mode), path);
    },
    stat: (path) => base.stat(path),
    lstat: (path) => base.lstat(path),
    rename: (from, to) => base.rename(from, to),
    unlink: (path) => base.unlink(path),
  };
}

/** Whether `open` flags (a string such as `'w'`, or O_* bits) open the file for writing. */
function opensForWriting(flags: string | number): boolean {
  if (typeof flags === 'string') return /[wa+]/.test(flags);
  return (flags & (constants.O_WRONLY | constants.O_RDWR)) !== 0;
}
