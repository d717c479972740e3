import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/**
 * One way for every browser test to get a real, headless, offline Chromium.
 *
 * Where the binary comes from, first that launches wins:
 * 1. `CHROMIUM_PATH`, when set (a person pointing at the browser they want);
 * 2. the registry's `@sparticuz/chromium` (a devDependency): its brotli-packed binary is
 *    unpacked once per install into `node_modules/.cache/timeswarm-chromium/<version>/`
 *    (atomically, so parallel Jest workers can race safely) — this is what a fresh machine
 *    after `npm ci` uses, with no apt and no download;
 * 3. Debian's `/usr/bin/chromium`, when present.
 * If none launches, `launchBrowser` throws with every candidate's error: browser tests are
 * never skipped.
 *
 * It returns a persistent context rather than a `Browser` so the profile folder is ours: a
 * fresh `--user-data-dir` made with `mkdtemp`, removed again by `close()`.
 */
export type BrowserSource = 'env' | 'registry' | 'debian';

export interface LaunchedBrowser {
  context: BrowserContext;
  executablePath: string;
  source: BrowserSource;
  /** Chromium's own version string, e.g. `147.0.7727.0`. */
  version: string;
  /** The fresh profile folder (`--user-data-dir`), removed by `close()`. */
  userDataDir: string;
  /** Closes the browser and removes its profile folder. */
  close(): Promise<void>;
}

export interface LaunchBrowserOptions {
  viewport?: { width: number; height: number };
  /** BCP 47 locale for the page (`Intl`, `navigator.language`); `en-US` unless given. */
  locale?: string;
  /** Extra Chromium switches, after the offline ones below. */
  args?: string[];
  /** Launch timeout; the first run also unpacks ~190 MB, so keep it generous. */
  timeoutMs?: number;
}

/** The switches this machine needs: headless as root, and no background calls home. */
export const OFFLINE_CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const DEBIAN_CHROMIUM = '/usr/bin/chromium';
const REPO_ROOT = resolve(__dirname, '..', '..');

/** Where tests leave screenshots and logs for a person to look at (git-ignored `out/`). */
export const ARTIFACTS_DIR = join(REPO_ROOT, 'out', 'test-artifacts');

/** Launches headless Chromium with a fresh profile; see the module comment for the order. */
export async function launchBrowser(options: LaunchBrowserOptions = {}): Promise<LaunchedBrowser> {
  const failures: string[] = [];
  for await (const candidate of candidates(failures)) {
    const userDataDir = await mkdtemp(join(tmpdir(), 'timeswarm-chromium-'));
    try {
      const context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: candidate.path,
        headless: true,
        // Without it the registry build takes a POSIX locale from the environment (LANG=C
        // and the like) as "en-US@posix", which Intl then rejects as an invalid tag.
        locale: options.locale ?? 'en-US',
        viewport: options.viewport ?? { width: 1400, height: 900 },
        args: [...OFFLINE_CHROMIUM_ARGS, ...(options.args ?? [])],
        timeout: options.timeoutMs ?? 60_000,
      });
      return {
        context,
        executablePath: candidate.path,
        source: candidate.source,
        version: context.browser()?.version() ?? 'unknown',
        userDataDir,
        close: async () => {
          await context.close();
          await rm(userDataDir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      failures.push(`${candidate.source} ${candidate.path}: ${(error as Error).message}`);
      await rm(userDataDir, { recursive: true, force: true });
    }
  }
  throw new Error(`no Chromium could be launched:\n${failures.join('\n')}`);
}

async function* candidates(
  failures: string[],
): AsyncGenerator<{ path: string; source: BrowserSource }> {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) yield { path: fromEnv, source: 'env' };
  try {
    yield { path: await registryChromium(), source: 'registry' };
  } catch (error) {
    failures.push(`registry @sparticuz/chromium: ${(error as Error).message}`);
  }
  if (existsSync(DEBIAN_CHROMIUM)) yield { path: DEBIAN_CHROMIUM, source: 'debian' };
}

/**
 * Unpacks `@sparticuz/chromium`'s binary (linux x64 only) into a cache beside node_modules
 * and returns its path. Its own `executablePath()` would unpack into a shared `/tmp/chromium`
 * that other checkouts and parallel workers also write; ours is versioned and renamed into
 * place whole. The binary needs only libnss3/libnspr4/libexpat and fontconfig with a font,
 * which this machine's image has.
 */
export async function registryChromium(): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `@sparticuz/chromium ships linux-x64 only, not ${process.platform}-${process.arch}`,
    );
  }
  // The package's exports hide package.json; its CommonJS entry sits two folders below it.
  const packageDir = resolve(dirname(require.resolve('@sparticuz/chromium')), '..', '..');
  const { version } = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  const cacheDir = resolve(packageDir, '..', '..', '.cache', 'timeswarm-chromium', version);
  const binary = join(cacheDir, 'chromium');
  if (existsSync(binary)) return binary;
  await mkdir(cacheDir, { recursive: true });
  const partial = `${binary}.${process.pid}.${randomBytes(4).toString('hex')}.partial`;
  try {
    await pipeline(
      createReadStream(join(packageDir, 'bin', 'chromium.br'), { highWaterMark: 1 << 22 }),
      createBrotliDecompress({ chunkSize: 1 << 21 }),
      createWriteStream(partial, { mode: 0o755 }),
    );
    await chmod(partial, 0o755);
    await rename(partial, binary);
  } finally {
    await rm(partial, { force: true });
  }
  return binary;
}

/** Saves a PNG of the page under out/test-artifacts/ and returns its path. */
export async function saveScreenshot(
  page: Page,
  name: string,
  options: { fullPage?: boolean } = {},
): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, name.endsWith('.png') ? name : `${name}.png`);
  await page.screenshot({ path, fullPage: options.fullPage ?? true });
  return path;
}

/** Writes a text artifact (a log line, a measured figure) under out/test-artifacts/. */
export async function writeArtifact(name: string, content: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, name);
  await writeFile(path, content);
  return path;
}
