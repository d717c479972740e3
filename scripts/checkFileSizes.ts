/**
 * Lists every source file over the line limit and fails when one is not on the allow-list,
 * or when an allow-listed file is back under the limit (its entry must then go: the list only
 * shrinks). Run by `npm run lint`.
 *
 *   npx tsx scripts/checkFileSizes.ts
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** "Source files stay under ~400 lines; one concept per file." */
export const MAX_LINES = 400;

/** Folders whose `.ts` files are source (tests are not held to the bound). */
export const SOURCE_DIRS = ['src', 'examples', 'scripts', 'bench'];

/**
 * Today's offenders, each to be split and then removed from here. The list must shrink to
 * empty; a file that is under the limit again fails the check until its entry is removed.
 */
export const ALLOWED_OVER: Readonly<Record<string, string>> = {};

export interface SizeReport {
  /** Files over the limit that are not allowed to be. */
  offenders: Array<{ file: string; lines: number }>;
  /** Allow-list entries whose file is gone or back under the limit. */
  stale: string[];
  /** Allow-listed files still over the limit. */
  tolerated: Array<{ file: string; lines: number }>;
}

function sourceFiles(root: string, dir: string): string[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(root, path);
    return entry.isFile() &&
      /\.(ts|tsx|js|cjs|mjs)$/.test(entry.name) &&
      !/\.test\.ts$/.test(entry.name)
      ? [path]
      : [];
  });
}

/** Counts lines as `wc -l` does, plus a last line without its newline. */
export function countLines(text: string): number {
  if (text.length === 0) return 0;
  const newlines = text.split('\n').length - 1;
  return text.endsWith('\n') ? newlines : newlines + 1;
}

export function checkFileSizes(
  root: string,
  allowed: Readonly<Record<string, string>> = ALLOWED_OVER,
  max = MAX_LINES,
): SizeReport {
  const report: SizeReport = { offenders: [], stale: [], tolerated: [] };
  const over = new Map<string, number>();
  for (const dir of SOURCE_DIRS) {
    for (const path of sourceFiles(root, dir)) {
      const lines = countLines(readFileSync(join(root, path), 'utf8'));
      if (lines > max) over.set(relative(root, join(root, path)).split(sep).join('/'), lines);
    }
  }
  for (const [file, lines] of [...over].sort()) {
    (file in allowed ? report.tolerated : report.offenders).push({ file, lines });
  }
  report.stale = Object.keys(allowed)
    .filter((file) => !over.has(file))
    .sort();
  return report;
}

if (require.main === module) {
  const report = checkFileSizes(join(__dirname, '..'));
  const out = (line: string) => process.stderr.write(`${line}\n`);
  for (const { file, lines } of report.offenders)
    out(
      `${file}: ${lines} lines, over the ${MAX_LINES}-line limit (split it: one concept per file)`,
    );
  for (const file of report.stale)
    out(
      `${file}: allowed over ${MAX_LINES} lines but no longer is; remove it from ALLOWED_OVER in scripts/checkFileSizes.ts`,
    );
  if (report.tolerated.length > 0)
    out(
      `file sizes: ${report.tolerated.length} file(s) still over ${MAX_LINES} lines on the allow-list: ` +
        report.tolerated.map((t) => `${t.file} (${t.lines})`).join(', '),
    );
  process.exitCode = report.offenders.length > 0 || report.stale.length > 0 ? 1 : 0;
}
