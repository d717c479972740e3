import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * Builds `dist/` (as `npm run build` does) when a source changed since the last build, so that
 * whatever runs the built CLI (`bin/timeswarm.cjs`) from a working copy — Jest's global setup,
 * the k-peers example, the start-up benchmark — never runs a stale build while someone edits
 * `src/`. Costs a few milliseconds when nothing changed (file times only); otherwise one
 * incremental `tsc -b` (see BENCHMARKS.md, "Start-up").
 *
 * Stale means: a file or folder under `src/`, a tsconfig or package.json is newer than
 * `dist/.tsbuildinfo`. Folder times catch deleted and renamed files too; their outputs are
 * removed, so a moved module cannot be found at its old place in `dist/`.
 */
export const ROOT = resolve(__dirname, '..');

export function buildIfStale(root: string = ROOT): 'fresh' | 'built' {
  const stamp = join(root, 'dist', '.tsbuildinfo');
  const builtAt = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
  const inputs = ['package.json', 'tsconfig.json', 'tsconfig.build.json'].map((f) => join(root, f));
  if (builtAt > 0 && newestChange(join(root, 'src'), inputs) < builtAt) return 'fresh';

  pruneOrphans(join(root, 'dist'), join(root, 'src'));
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  const result = spawnSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(
      `npm run build failed (exit ${result.status}):\n${result.stdout}${result.stderr}`,
    );
  }
  // What tsc does not emit (the inspector page) is copied as `npm run build` does.
  const copy = spawnSync(process.execPath, [join(root, 'scripts', 'copyAssets.cjs')], {
    cwd: root,
    encoding: 'utf8',
  });
  if (copy.status !== 0) throw new Error(`copying assets failed:\n${copy.stderr}`);
  // tsc -b leaves its build info untouched when the outputs were already up to date (e.g. a
  // file saved without changes): mark the check done.
  const now = new Date();
  utimesSync(stamp, now, now);
  return 'built';
}

function newestChange(dir: string, files: string[]): number {
  let newest = 0;
  for (const file of files) newest = Math.max(newest, statSync(file).mtimeMs);
  const walk = (path: string) => {
    newest = Math.max(newest, statSync(path).mtimeMs);
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) walk(child);
      else newest = Math.max(newest, statSync(child).mtimeMs);
    }
  };
  walk(dir);
  return newest;
}

/** Removes `dist/X.js`, `.js.map`, `.d.ts` whose `src/X.ts` no longer exists. */
function pruneOrphans(dist: string, src: string): void {
  if (!existsSync(dist)) return;
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) walk(child);
      else {
        const rel = relative(dist, child);
        const base = /^(.*)\.(js|js\.map|d\.ts)$/.exec(rel)?.[1];
        // A copied asset (src/inspect/page/app.js) has its source under the same name.
        if (existsSync(join(src, rel))) continue;
        if (base !== undefined && !existsSync(join(src, `${base}.ts`))) rmSync(child);
      }
    }
  };
  walk(dist);
}
