import { readFileSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { cpus, hostname, loadavg, platform, release } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * Where and how a run was made, shown at the top of the report: a reader comparing two
 * reports first needs to know whether they came from the same machine, under what load.
 */
export interface RunMetadata {
  host: string;
  /** e.g. `linux 6.1.0 x64, 2 cores`. */
  platform: string;
  nodeVersion: string;
  /** timeswarm's version (package.json). */
  packageVersion: string;
  /** The command line that made the run, as typed (arguments joined by spaces). */
  command: string;
  /** ISO 8601 wall-clock times. */
  startedAt?: string;
  endedAt?: string;
  /** `os.loadavg()` (1, 5, 15 min) when the run started and when it ended. */
  loadAtStart?: [number, number, number];
  loadAtEnd?: [number, number, number];
}

/** Name of the metadata file a run leaves in its folder, which `analyze --html` reads back. */
export const RUN_METADATA_FILE = 'run.json';

let packageVersion: string | null = null;
function ownVersion(): string {
  if (packageVersion === null) {
    try {
      const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
      packageVersion = typeof pkg.version === 'string' ? pkg.version : 'unknown';
    } catch {
      packageVersion = 'unknown';
    }
  }
  return packageVersion!;
}

const load = () => loadavg().map((v) => Math.round(v * 100) / 100) as [number, number, number];

/**
 * What this process knows about itself: host, platform, Node and timeswarm versions, and the
 * load average now. Call it once at the start of a run and pass its `loadAtStart`/`startedAt`
 * back at the end, so the report shows both.
 *
 * @example
 * const start = collectRunMetadata({ command: 'npm run example:three-clients' });
 * // … the run …
 * const meta = collectRunMetadata({ ...start, ended: true });
 */
export function collectRunMetadata(
  options: Partial<RunMetadata> & { command: string; ended?: boolean },
): RunMetadata {
  const { ended, ...given } = options;
  const now = new Date().toISOString();
  return {
    host: hostname(),
    platform: `${platform()} ${release()} ${process.arch}, ${cpus().length} cores`,
    nodeVersion: process.version,
    packageVersion: ownVersion(),
    ...given,
    startedAt: given.startedAt ?? now,
    loadAtStart: given.loadAtStart ?? load(),
    ...(ended ? { endedAt: now, loadAtEnd: load() } : {}),
  };
}

const triple = z.tuple([z.number(), z.number(), z.number()]);
const metadataSchema = z.object({
  host: z.string().max(256),
  platform: z.string().max(256),
  nodeVersion: z.string().max(64),
  packageVersion: z.string().max(64),
  command: z.string().max(4096),
  startedAt: z.string().max(64).optional(),
  endedAt: z.string().max(64).optional(),
  loadAtStart: triple.optional(),
  loadAtEnd: triple.optional(),
});

/** Writes `run.json` into a run folder. */
export async function writeRunMetadata(dir: string, meta: RunMetadata): Promise<string> {
  const path = join(dir, RUN_METADATA_FILE);
  await writeFile(path, `${JSON.stringify(meta, null, 2)}\n`);
  return path;
}

/**
 * The metadata of the first of these folders that has a valid `run.json`, or null. A file
 * that does not parse is ignored rather than fatal: the report is still worth having.
 */
export async function readRunMetadata(paths: readonly string[]): Promise<RunMetadata | null> {
  for (const dir of paths) {
    const info = await stat(dir).catch(() => null);
    if (!info?.isDirectory()) continue;
    const text = await readFile(join(dir, RUN_METADATA_FILE), 'utf8').catch(() => null);
    if (text === null) continue;
    try {
      const parsed = metadataSchema.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data as RunMetadata;
    } catch {
      // not JSON: ignored, as documented
    }
  }
  return null;
}
