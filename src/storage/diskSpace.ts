import { statfs } from 'node:fs/promises';
import { fileError, StorageError } from './errors';

/** Free space kept for everything else on the disk unless told otherwise: 64 MiB. */
export const DEFAULT_DISK_RESERVE_BYTES = 64 * 1024 * 1024;

/** How free space is read; tests pass a fake disk. */
export type FreeSpaceProbe = (dir: string) => Promise<number>;

/** Bytes an unprivileged process may still write under `dir` (`statfs`: bavail × bsize). */
export const freeDiskBytes: FreeSpaceProbe = async (dir) => {
  try {
    const info = await statfs(dir);
    return Number(info.bavail) * Number(info.bsize);
  } catch (error) {
    throw fileError('measure free space in', dir, error);
  }
};

export interface DiskBudgetOptions {
  /** Free space never promised to files (default {@link DEFAULT_DISK_RESERVE_BYTES}). */
  reserveBytes?: number;
  probe?: FreeSpaceProbe;
}

/**
 * Free disk promised to files being received into one folder, so that several files
 * accepted at once cannot together promise the same free space twice.
 *
 * Security property: a manifest cannot make us fill the disk. A file is accepted only if
 * its remaining bytes fit in the free space (measured now) minus what other files in
 * progress still need minus the reserve; otherwise `ERR_NO_SPACE`, before any `.part` file
 * is created or grown. (The `.part` is sparse: its size is the promise, the blocks come as
 * verified chunks are written.)
 */
export class DiskBudget {
  private readonly promised = new Map<string, number>();
  private readonly reserveBytes: number;
  private readonly probe: FreeSpaceProbe;

  constructor(
    readonly dir: string,
    options: DiskBudgetOptions = {},
  ) {
    this.reserveBytes = options.reserveBytes ?? DEFAULT_DISK_RESERVE_BYTES;
    this.probe = options.probe ?? freeDiskBytes;
  }

  /** Bytes promised to files in progress. */
  get promisedBytes(): number {
    let total = 0;
    for (const bytes of this.promised.values()) total += bytes;
    return total;
  }

  /**
   * Promises `bytes` more to the file `key` (replacing its earlier promise), or throws
   * `ERR_NO_SPACE` and promises nothing.
   */
  async reserve(key: string, bytes: number): Promise<void> {
    const free = await this.probe(this.dir);
    const others = this.promisedBytes - (this.promised.get(key) ?? 0);
    const available = free - others - this.reserveBytes;
    if (bytes > available) {
      throw new StorageError(
        `${key} needs ${bytes} bytes but only ${Math.max(0, available)} are free in ${this.dir}`,
        'ERR_NO_SPACE',
        this.dir,
      );
    }
    this.promised.set(key, bytes);
  }

  /** The file `key` is complete or abandoned: its promise is freed. */
  release(key: string): void {
    this.promised.delete(key);
  }
}
