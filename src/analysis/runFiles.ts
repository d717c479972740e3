import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { EXCHANGE_LOG_SUFFIX, SERVER_TABLE_NAME } from '../storage';
import { AnalysisError } from './errors';

/** Where a run's files are, by kind. */
export interface RunFiles {
  /** Client table files by client ID. */
  clientTables: Map<number, string>;
  /** Sidecars (t1..t4 per exchange) by client ID. */
  exchangeLogs: Map<number, string>;
  serverTable: string | null;
  /** A P2P transfer timeline (`transfers.json`), when the run had an exchange. */
  transfers: string | null;
}

/** Name of the optional P2P timeline file in a run folder (see `src/report/transfers.ts`). */
export const TRANSFERS_FILE = 'transfers.json';

const CLIENT_TABLE = /^client_(\d+)_TimeData\.txt$/;
const CLIENT_SIDECAR = new RegExp(
  `^client_(\\d+)_TimeData${EXCHANGE_LOG_SUFFIX.replace(/\./g, '\\.')}$`,
);
const MAX_DEPTH = 4;
const SKIP_DIRS = new Set(['node_modules', '.git']);

/**
 * Finds the files of a run under the given paths (folders are searched a few levels deep;
 * files are taken by their name). After a P2P exchange every `client_N/` folder holds a copy
 * of every other client's table, byte-identical by contract, so each name is taken once:
 * the first in sorted path order, which is the owner's own `client_N/` folder.
 *
 * @throws AnalysisError `ERR_NOT_FOUND` for a missing path, `ERR_UNKNOWN_FILE` for a file
 * that is none of ours, `ERR_NO_DATA` when nothing usable was found.
 */
export async function findRunFiles(paths: readonly string[]): Promise<RunFiles> {
  const found: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (!info) throw new AnalysisError(`No such file or folder: ${path}`, 'ERR_NOT_FOUND', path);
    if (info.isDirectory()) await walk(path, 0, found);
    else if (classify(basename(path))) found.push(path);
    else throw new AnalysisError(`Not a timeswarm file: ${path}`, 'ERR_UNKNOWN_FILE', path);
  }
  found.sort(byOwnFolderFirst);
  const files: RunFiles = {
    clientTables: new Map(),
    exchangeLogs: new Map(),
    serverTable: null,
    transfers: null,
  };
  for (const path of found) {
    const kind = classify(basename(path))!;
    if (kind.kind === 'table' && !files.clientTables.has(kind.clientId))
      files.clientTables.set(kind.clientId, path);
    if (kind.kind === 'sidecar' && !files.exchangeLogs.has(kind.clientId))
      files.exchangeLogs.set(kind.clientId, path);
    if (kind.kind === 'server') files.serverTable ??= path;
    if (kind.kind === 'transfers') files.transfers ??= path;
  }
  if (files.clientTables.size === 0 && files.exchangeLogs.size === 0 && !files.serverTable) {
    throw new AnalysisError(`No timestamp files under ${paths.join(', ')}`, 'ERR_NO_DATA');
  }
  return files;
}

type FileKind =
  | { kind: 'table' | 'sidecar'; clientId: number }
  | { kind: 'server' }
  | { kind: 'transfers' };

function classify(name: string): FileKind | null {
  const table = CLIENT_TABLE.exec(name);
  if (table) return { kind: 'table', clientId: Number(table[1]) };
  const sidecar = CLIENT_SIDECAR.exec(name);
  if (sidecar) return { kind: 'sidecar', clientId: Number(sidecar[1]) };
  if (name === SERVER_TABLE_NAME) return { kind: 'server' };
  if (name === TRANSFERS_FILE) return { kind: 'transfers' };
  return null;
}

async function walk(dir: string, depth: number, found: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (depth < MAX_DEPTH && !SKIP_DIRS.has(entry.name)) await walk(path, depth + 1, found);
    } else if (entry.isFile() && classify(entry.name)) {
      found.push(path);
    }
  }
}

/** `client_3/client_3_TimeData.txt` sorts before `client_1/client_3_TimeData.txt`. */
function byOwnFolderFirst(a: string, b: string): number {
  const own = (path: string) => {
    const match = /client_(\d+)_TimeData/.exec(basename(path));
    return match && path.includes(`client_${match[1]}/`) ? 0 : 1;
  };
  return own(a) - own(b) || a.localeCompare(b);
}
