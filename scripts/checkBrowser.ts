import { launchBrowser } from '../test/helpers/browser';

/**
 * Launches the Chromium that the browser tests will use (test/helpers/browser.ts) and says
 * which one it was; exits 1 if none launches. `.ci/run` calls it to decide whether Debian's
 * chromium is needed as a fallback.
 */
async function main(): Promise<void> {
  const browser = await launchBrowser();
  try {
    console.log(`chromium: ${browser.source} ${browser.executablePath} ${browser.version}`);
  } finally {
    await browser.close();
  }
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
