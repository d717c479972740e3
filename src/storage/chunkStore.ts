import { createHash } from 'node:crypto';
import { type FileHandle, open, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Bitfield } from './bitfield';
import { DiskBudget } from './diskSpace';
import { fileError, StorageError } from './errors';
import { assertSafeFileName } from './fileName';
import { chunkLength, type Manifest, manifestChunkCount, readFully, verifyChunk } from './manifest';
import { makeDirectory } from './outDir';

/**
 * A file on disk as the exchange sees it: which chunks are here, and how to read one.
 * Chunks are only ever read for an index in the manifest, never for a path from the network.
 */
export interface StoredFile {
  readonly manifest: Manifest;
  /** Where the file lives (its final name once complete). */
  readonly path: string;
  readonly have: Bitfield;
  readonly complete: boolean;
  /** Reads chunk `index`; throws `ERR_NO_CHUNK` for a chunk not held. */
  read(index: number): Promise<Buffer>;
  close(): Promise<void>;
}

export type WriteOutcome = 'stored' | 'duplicate' | 'completed';

/** A file being received: chunks go to `.NAME.part` and it becomes `NAME` once verified. */
export interface ReceivingFile extends StoredFile {
  /** Bytes held of chunks verified so far. */
  readonly bytesHeld: number;
  /**
   * Verifies chunk `index` against its hash and writes it. When it is the last missing chunk
   * the file is fsynced, its SHA-256 checked, and it is renamed to its final name: the
   * promise then resolves `'completed'`. Throws `ERR_CHUNK_HASH` for bytes that do not match
   * (nothing is written) and `ERR_FILE_HASH` when every chunk matches but the whole does not
   * (the manifest lies; the partial file is removed).
   */
  write(index: number, data: Uint8Array): Promise<WriteOutcome>;
  /**
   * Gives the file up for good (a conflict, a bad owner, a quota): closes it, deletes its
   * `.part` and frees its disk promise. A complete file is left alone.
   */
  discard(): Promise<void>;
}

export interface ReceiveOptions {
  /** fsync the file and its folder before and after the rename (default true). */
  durable?: boolean;
  /**
   * Free disk shared by the files received into this folder. Without one, free space is
   * still checked (statfs) for this file alone, with no reserve.
   */
  budget?: DiskBudget;
}

/** `.NAME.part`: hidden, and never a valid name from the network (those may not start with a dot). */
export function partFileName(name: string): string {
  return `.${name}.part`;
}

const READ_BLOCK = 1024 * 1024;

async function hashFile(handle: FileHandle, size: number, path: string): Promise<Buffer> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(Math.min(READ_BLOCK, Math.max(size, 1)));
  for (let position = 0; position < size; position += buffer.length) {
    const length = Math.min(buffer.length, size - position);
    await readFully(handle, buffer, length, position, path);
    hash.update(buffer.subarray(0, length));
  }
  return hash.digest();
}

async function readChunk(
  handle: FileHandle,
  manifest: Manifest,
  index: number,
  path: string,
): Promise<Buffer> {
  const length = chunkLength(manifest, index);
  const buffer = Buffer.allocUnsafe(length);
  await readFully(handle, buffer, length, index * manifest.chunkSize, path);
  return buffer;
}

async function openHandle(path: string, flags: string): Promise<FileHandle> {
  try {
    return await open(path, flags);
  } catch (error) {
    throw fileError('open', path, error);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw fileError('stat', path, error);
  }
}

async function syncFolder(dir: string): Promise<void> {
  // Makes the rename itself durable; some platforms cannot open a folder, which is fine.
  let handle: FileHandle | null = null;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * A file this peer contributes: every chunk is present. The manifest must have been built
 * from this file (see `buildManifest`); a file that shrinks later is an `ERR_FILE_CHANGED`.
 */
export async function openSourceFile(path: string, manifest: Manifest): Promise<StoredFile> {
  const handle = await openHandle(path, 'r');
  const have = Bitfield.full(manifestChunkCount(manifest));
  return {
    manifest,
    path,
    have,
    complete: true,
    read: (index) => {
      if (!have.has(index))
        return Promise.reject(
          new StorageError(`No chunk ${index} in ${path}`, 'ERR_NO_CHUNK', path),
        );
      return readChunk(handle, manifest, index, path);
    },
    close: () => handle.close(),
  };
}

/**
 * Opens (or resumes) the reception of `manifest` into `dir`.
 *
 * - `dir/NAME` already there with the right SHA-256: complete, nothing to fetch.
 * - `dir/NAME` there with other content: `ERR_FILE_EXISTS` (never overwritten).
 * - `dir/.NAME.part` there (a restarted peer): every chunk in it is re-hashed and those that
 *   match count as held; only the rest is fetched.
 */
export async function openReceivingFile(
  dir: string,
  manifest: Manifest,
  options: ReceiveOptions = {},
): Promise<ReceivingFile> {
  assertSafeFileName(manifest.name);
  const durable = options.durable ?? true;
  const finalPath = join(dir, manifest.name);
  const partPath = join(dir, partFileName(manifest.name));
  const count = manifestChunkCount(manifest);
  await makeDirectory(dir);

  if (await exists(finalPath)) {
    const handle = await openHandle(finalPath, 'r');
    const { size } = await handle.stat();
    const same =
      size === manifest.size && (await hashFile(handle, size, finalPath)).equals(manifest.sha256);
    if (!same) {
      await handle.close();
      throw new StorageError(
        `A different file named ${manifest.name} already exists in ${dir}`,
        'ERR_FILE_EXISTS',
        finalPath,
      );
    }
    return new Receiving(
      manifest,
      handle,
      finalPath,
      partPath,
      Bitfield.full(count),
      true,
      durable,
      dir,
    );
  }

  // Free disk is checked before a `.part` is created or grown: the bytes still missing must
  // fit. A resumed `.part` is at most the manifest's size (truncated to it) and only its
  // missing bytes are promised again.
  const budget = options.budget ?? new DiskBudget(dir, { reserveBytes: 0 });
  const resumed = await exists(partPath);
  const allocated = resumed ? await allocatedBytes(partPath) : 0;
  await budget.reserve(manifest.name, Math.max(0, manifest.size - allocated));
  let handle: FileHandle;
  try {
    handle = await openHandle(partPath, resumed ? 'r+' : 'w+');
  } catch (error) {
    budget.release(manifest.name);
    throw error;
  }
  const have = new Bitfield(count);
  try {
    await handle.truncate(manifest.size);
    if (resumed) {
      for (let i = 0; i < count; i++) {
        if (verifyChunk(manifest, i, await readChunk(handle, manifest, i, partPath))) have.set(i);
      }
    }
  } catch (error) {
    await handle.close();
    budget.release(manifest.name);
    // A `.part` we just created and could not prepare is removed, not left to fill the disk.
    if (!resumed) await unlink(partPath).catch(() => undefined);
    throw error instanceof StorageError ? error : fileError('prepare', partPath, error);
  }
  const file = new Receiving(manifest, handle, finalPath, partPath, have, false, durable, dir);
  file.budget = budget;
  if (have.complete) await file.finishNow();
  return file;
}

/** Bytes a file really occupies (a sparse `.part` occupies only what was written). */
async function allocatedBytes(path: string): Promise<number> {
  const info = await stat(path);
  return Math.min(info.size, info.blocks * 512);
}

class Receiving implements ReceivingFile {
  private queue: Promise<unknown> = Promise.resolve();
  private failed: StorageError | null = null;
  private held: number;
  /** The folder's disk budget; this file's promise is freed when it completes or is discarded. */
  budget: DiskBudget | null = null;

  constructor(
    readonly manifest: Manifest,
    private readonly handle: FileHandle,
    private readonly finalPath: string,
    private readonly partPath: string,
    readonly have: Bitfield,
    private done: boolean,
    private readonly durable: boolean,
    private readonly dir: string,
  ) {
    this.held = 0;
    for (const i of have.indices()) this.held += chunkLength(manifest, i);
  }

  get path(): string {
    return this.done ? this.finalPath : this.partPath;
  }
  get complete(): boolean {
    return this.done;
  }
  get bytesHeld(): number {
    return this.held;
  }

  read(index: number): Promise<Buffer> {
    if (!this.have.has(index)) {
      return Promise.reject(
        new StorageError(`No chunk ${index} of ${this.manifest.name}`, 'ERR_NO_CHUNK'),
      );
    }
    // After the rename the open handle still reads the same file, now under its final name.
    return readChunk(this.handle, this.manifest, index, this.path);
  }

  write(index: number, data: Uint8Array): Promise<WriteOutcome> {
    const run = this.queue.then(() => this.writeNow(index, data));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async writeNow(index: number, data: Uint8Array): Promise<WriteOutcome> {
    if (this.failed) throw this.failed;
    if (this.have.has(index) || this.done) return 'duplicate';
    if (!verifyChunk(this.manifest, index, data)) {
      throw new StorageError(
        `Chunk ${index} of ${this.manifest.name} does not match its hash`,
        'ERR_CHUNK_HASH',
      );
    }
    try {
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await this.handle.write(
          data,
          written,
          data.length - written,
          index * this.manifest.chunkSize + written,
        );
        written += bytesWritten;
      }
    } catch (error) {
      throw fileError('write', this.partPath, error);
    }
    this.have.set(index);
    this.held += data.length;
    if (!this.have.complete) return 'stored';
    await this.finishNow();
    return 'completed';
  }

  /** fsync, check the whole file's SHA-256, rename to the final name, fsync the folder. */
  async finishNow(): Promise<void> {
    try {
      if (this.durable) await this.handle.sync();
      const digest = await hashFile(this.handle, this.manifest.size, this.partPath);
      if (!digest.equals(this.manifest.sha256)) {
        this.failed = new StorageError(
          `${this.manifest.name}: every chunk matches but the whole file's SHA-256 does not`,
          'ERR_FILE_HASH',
          this.partPath,
        );
        await this.handle.close().catch(() => undefined);
        await unlink(this.partPath).catch(() => undefined);
        this.budget?.release(this.manifest.name);
        for (const i of [...this.have.indices()]) this.have.clear(i);
        this.held = 0;
        throw this.failed;
      }
      if (await exists(this.finalPath)) {
        throw new StorageError(
          `A file named ${this.manifest.name} appeared in ${this.dir} meanwhile`,
          'ERR_FILE_EXISTS',
          this.finalPath,
        );
      }
      await rename(this.partPath, this.finalPath);
      if (this.durable) await syncFolder(this.dir);
      this.done = true;
      this.budget?.release(this.manifest.name);
    } catch (error) {
      throw error instanceof StorageError ? error : fileError('finish', this.partPath, error);
    }
  }

  async close(): Promise<void> {
    await this.queue;
    await this.handle.close().catch(() => undefined);
  }

  async discard(): Promise<void> {
    await this.queue;
    await this.handle.close().catch(() => undefined);
    this.budget?.release(this.manifest.name);
    if (this.done) return;
    this.failed ??= new StorageError(`${this.manifest.name} was discarded`, 'ERR_DISCARDED');
    await unlink(this.partPath).catch(() => undefined);
    for (const i of [...this.have.indices()]) this.have.clear(i);
    this.held = 0;
  }
}

/** Deletes a file we received (a name found disputed after it arrived); never throws. */
export async function removeFile(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}
