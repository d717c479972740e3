import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, link, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { makeDirectory } from '../../storage/outDir';
import { P2P_CODES, P2pError } from '../errors';
import { generateIdentity, identityFromPem, type PeerIdentity } from './keys';

/** File name of the key inside a folder when the user names none (`--key` overrides). */
export const DEFAULT_KEY_FILE_NAME = 'timeswarm-peer.key';
/** A PEM Ed25519 key is ~120 bytes; anything much larger is not one. */
const MAX_KEY_FILE_BYTES = 4096;

export interface KeyFileOptions {
  /** Where the private key lives (PKCS#8 PEM, mode 0600). Created on first use. */
  keyPath: string;
  /** Create the file when it does not exist (default true). */
  create?: boolean;
}

export interface LoadedIdentity {
  identity: PeerIdentity;
  /** True when this call created the key file. */
  created: boolean;
}

/**
 * Loads the peer's identity from `keyPath`, creating a fresh Ed25519 key there on first run.
 *
 * Security properties kept here:
 * - the private key is never read from a file others could have read or replaced: a key
 *   file that is a symbolic link (`ERR_KEY_FILE_SYMLINK`, checked with `O_NOFOLLOW` on the
 *   open itself, so there is no window between a check and the read), not a regular file,
 *   not owned by us, or readable/writable by group or others (`ERR_KEY_FILE_PERMISSIONS`)
 *   is refused, never "fixed";
 * - creation is atomic and never clobbers: the key is written to a fresh temporary (created
 *   with `O_EXCL`, mode 0600 from the start), fsynced, then hard-linked to `keyPath` (which
 *   fails if another process created it meanwhile: that key is loaded instead) and the
 *   folder fsynced. A crash leaves either no key file or a complete one.
 */
export async function loadOrCreateIdentity(options: KeyFileOptions): Promise<LoadedIdentity> {
  const existing = await readKeyFile(options.keyPath);
  if (existing !== null) return { identity: identityFromPem(existing), created: false };
  if (options.create === false) {
    throw new P2pError(`No key file at ${options.keyPath}`, 'ENOENT');
  }
  const { identity, privateKeyPem } = generateIdentity();
  const won = await writeKeyFile(options.keyPath, privateKeyPem);
  if (won) return { identity, created: true };
  const raced = await readKeyFile(options.keyPath);
  if (raced === null) throw new P2pError(`Key file ${options.keyPath} vanished`, 'ENOENT');
  return { identity: identityFromPem(raced), created: false };
}

/** The key file's text, `null` when there is none; refuses unsafe files (see above). */
async function readKeyFile(keyPath: string): Promise<string | null> {
  let handle: FileHandle;
  try {
    handle = await open(keyPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') {
      throw new P2pError(`${keyPath} is a symbolic link`, P2P_CODES.keyFileSymlink);
    }
    throw new P2pError(`Cannot open ${keyPath}: ${code}`, code ?? 'ERR_P2P', { cause: error });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new P2pError(`${keyPath} is not a regular file`, P2P_CODES.keyFilePermissions);
    }
    if ((info.mode & 0o077) !== 0) {
      throw new P2pError(
        `${keyPath} is accessible to group or others (mode ${(info.mode & 0o777).toString(8)}); ` +
          'it must be 0600',
        P2P_CODES.keyFilePermissions,
      );
    }
    if (typeof process.getuid === 'function' && info.uid !== process.getuid()) {
      throw new P2pError(`${keyPath} is owned by another user`, P2P_CODES.keyFilePermissions);
    }
    if (info.size > MAX_KEY_FILE_BYTES) {
      throw new P2pError(`${keyPath} is too large to be a key`, P2P_CODES.keyFileInvalid);
    }
    return (await handle.readFile()).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Writes the key atomically; false when another process created `keyPath` first. */
async function writeKeyFile(keyPath: string, pem: string): Promise<boolean> {
  const dir = dirname(keyPath);
  await makeDirectory(dir, { mode: 0o700 });
  const temp = `${keyPath}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    await handle.chmod(0o600); // whatever the umask did
    await handle.writeFile(pem);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, keyPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      await unlink(temp).catch(() => undefined);
      return false;
    }
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') {
      await unlink(temp).catch(() => undefined);
      throw new P2pError(`Cannot create ${keyPath}: ${code}`, code ?? 'ERR_P2P', { cause: error });
    }
    // A file system without hard links: rename, which is atomic but may replace a key
    // created in the same instant by another process (both then hold a valid key file).
    await rename(temp, keyPath);
  }
  await unlink(temp).catch(() => undefined);
  await syncFolder(dir);
  return true;
}

async function syncFolder(dir: string): Promise<void> {
  let handle: FileHandle | null = null;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort: some platforms cannot open a folder
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
