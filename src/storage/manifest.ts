import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileError, StorageError } from './errors';
import { assertSafeFileName, fileNameProblem, printableName } from './fileName';

/** Bytes of a SHA-256 digest. */
export const HASH_BYTES = 32;
/** Chunk size used unless told otherwise: small enough to spread a 4 MB file over many peers. */
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
/** Largest chunk size accepted (a chunk travels in one frame). */
export const MAX_CHUNK_SIZE = 1024 * 1024;
/** Most chunks in one manifest: its hash list then fits in 1 MiB. */
export const MAX_CHUNKS = 32 * 1024;

/**
 * What a peer announces about one file: enough to fetch it chunk by chunk from anyone and
 * to verify every chunk and the whole. The name is a single safe path component.
 */
export interface Manifest {
  name: string;
  size: number;
  /** SHA-256 of the whole file. */
  sha256: Buffer;
  chunkSize: number;
  /** SHA-256 of every chunk, concatenated: `HASH_BYTES × chunkCount` bytes. */
  chunkHashes: Buffer;
}

/** Number of chunks of a file of `size` bytes; 0 for an empty file. */
export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

/** Length of chunk `index` (the last one may be short). */
export function chunkLength(manifest: Manifest, index: number): number {
  const start = index * manifest.chunkSize;
  return Math.max(0, Math.min(manifest.chunkSize, manifest.size - start));
}

export function manifestChunkCount(manifest: Manifest): number {
  return chunkCount(manifest.size, manifest.chunkSize);
}

/** The expected SHA-256 of chunk `index`. */
export function chunkHash(manifest: Manifest, index: number): Buffer {
  return manifest.chunkHashes.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
}

export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** True when `data` is exactly chunk `index` of the file `manifest` describes. */
export function verifyChunk(manifest: Manifest, index: number, data: Uint8Array): boolean {
  return (
    data.length === chunkLength(manifest, index) && sha256(data).equals(chunkHash(manifest, index))
  );
}

/**
 * Why `manifest` cannot describe a real file, or `null` when it is consistent: a safe name,
 * a whole size, a chunk size within limits, and one 32-byte hash per chunk.
 */
export function manifestProblem(manifest: Manifest): string | null {
  const nameProblem = fileNameProblem(manifest.name);
  if (nameProblem) return `name ${nameProblem}`;
  if (!Number.isSafeInteger(manifest.size) || manifest.size < 0)
    return 'size is not a whole number of bytes';
  if (
    !Number.isSafeInteger(manifest.chunkSize) ||
    manifest.chunkSize < 1 ||
    manifest.chunkSize > MAX_CHUNK_SIZE
  ) {
    return `chunk size must be 1..${MAX_CHUNK_SIZE}`;
  }
  const count = chunkCount(manifest.size, manifest.chunkSize);
  if (count > MAX_CHUNKS) return `more than ${MAX_CHUNKS} chunks`;
  if (manifest.sha256.length !== HASH_BYTES) return 'file hash is not 32 bytes';
  if (manifest.chunkHashes.length !== count * HASH_BYTES) return `expected ${count} chunk hashes`;
  return null;
}

/** Same file: every field equal. Two peers holding the same bytes announce equal manifests. */
export function sameManifest(a: Manifest, b: Manifest): boolean {
  return (
    a.name === b.name &&
    a.size === b.size &&
    a.chunkSize === b.chunkSize &&
    a.sha256.equals(b.sha256) &&
    a.chunkHashes.equals(b.chunkHashes)
  );
}

/** Builds a manifest from bytes in memory (tests, synthetic files). */
export function manifestOfBuffer(
  name: string,
  data: Uint8Array,
  chunkSize = DEFAULT_CHUNK_SIZE,
): Manifest {
  assertSafeFileName(name);
  const count = chunkCount(data.length, chunkSize);
  const chunkHashes = Buffer.alloc(count * HASH_BYTES);
  for (let i = 0; i < count; i++) {
    sha256(data.subarray(i * chunkSize, (i + 1) * chunkSize)).copy(chunkHashes, i * HASH_BYTES);
  }
  const manifest = { name, size: data.length, sha256: sha256(data), chunkSize, chunkHashes };
  checkManifest(manifest);
  return manifest;
}

export interface BuildManifestOptions {
  chunkSize?: number;
  /** The name to announce; defaults to the file's base name. */
  name?: string;
  signal?: AbortSignal;
}

/**
 * Reads a file once and describes it: size, SHA-256 of the whole, SHA-256 of every chunk.
 * Throws a StorageError (`ERR_BAD_FILE_NAME`, `ENOENT`, …) when the file cannot be shared.
 */
export async function buildManifest(
  path: string,
  options: BuildManifestOptions = {},
): Promise<Manifest> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const name = assertSafeFileName(options.name ?? basename(path));
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw fileError('open', path, error);
  }
  try {
    const { size } = await handle.stat();
    const count = chunkCount(size, chunkSize);
    if (count > MAX_CHUNKS)
      throw new StorageError(`${path} is too large to share`, 'ERR_FILE_TOO_LARGE', path);
    const whole = createHash('sha256');
    const chunkHashes = Buffer.alloc(count * HASH_BYTES);
    const buffer = Buffer.alloc(Math.min(chunkSize, Math.max(size, 1)));
    for (let i = 0; i < count; i++) {
      options.signal?.throwIfAborted();
      const length = Math.min(chunkSize, size - i * chunkSize);
      await readFully(handle, buffer, length, i * chunkSize, path);
      const chunk = buffer.subarray(0, length);
      whole.update(chunk);
      sha256(chunk).copy(chunkHashes, i * HASH_BYTES);
    }
    return { name, size, sha256: whole.digest(), chunkSize, chunkHashes };
  } catch (error) {
    throw error instanceof StorageError ? error : fileError('read', path, error);
  } finally {
    await handle.close();
  }
}

/** Throws a StorageError with code `ERR_BAD_MANIFEST` when {@link manifestProblem} finds one. */
export function checkManifest(manifest: Manifest): Manifest {
  const problem = manifestProblem(manifest);
  if (problem)
    throw new StorageError(
      `Bad manifest for ${printableName(manifest.name)}: ${problem}`,
      'ERR_BAD_MANIFEST',
    );
  return manifest;
}

/** Reads exactly `length` bytes at `position`, or throws (the file shrank under us). */
export async function readFully(
  handle: {
    read(
      buffer: Buffer,
      offset: number,
      length: number,
      position: number,
    ): Promise<{ bytesRead: number }>;
  },
  buffer: Buffer,
  length: number,
  position: number,
  path: string,
): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0)
      throw new StorageError(
        `${path} ended early (changed while shared?)`,
        'ERR_FILE_CHANGED',
        path,
      );
    done += bytesRead;
  }
}
