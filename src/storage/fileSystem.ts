import { lstat, mkdir, open, rename, stat, unlink } from 'node:fs/promises';

/** What the record writers need of a file's metadata. */
export interface FileInfo {
  readonly size: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/** An open file as the record writers use it: positional writes, fsync, close. */
export interface WritableFile {
  /** Writes up to `length` bytes of `buffer` from `offset`; may write fewer (a nearly full disk). */
  write(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number | null,
  ): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  stat(): Promise<FileInfo>;
  close(): Promise<void>;
}

/**
 * The file-system calls the record writers make (the timestamp tables and their sidecars),
 * so that a test can stand in for a full, failing or read-only disk without mount rights.
 * Errors keep Node's shape: an `Error` with the errno `code` (`ENOSPC`, `EIO`, `EROFS`, …).
 * Production code uses {@link nodeFileSystem}.
 */
export interface FileSystem {
  /**
   * Makes one folder, never recursively: `makeDirectory` walks the path itself, with a bound
   * (Node's recursive mkdir spins for ever on a path under /proc).
   */
  mkdir(path: string, options?: { mode?: number }): Promise<unknown>;
  /** `flags` as for `fs.open`: the writers use `O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW`. */
  open(path: string, flags: string | number, mode?: number): Promise<WritableFile>;
  stat(path: string): Promise<FileInfo>;
  /** Like `stat`, but a symlink at `path` is described, not followed. */
  lstat(path: string): Promise<FileInfo>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

/** The real file system: `node:fs/promises`. */
export const nodeFileSystem: FileSystem = {
  mkdir: (path, options) => mkdir(path, options),
  open: (path, flags, mode) => open(path, flags, mode),
  stat: (path) => stat(path),
  lstat: (path) => lstat(path),
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
};
