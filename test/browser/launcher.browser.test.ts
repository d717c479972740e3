import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ARTIFACTS_DIR, launchBrowser, saveScreenshot, writeArtifact } from '../helpers/browser';

/**
 * The shared launcher (test/helpers/browser.ts) must give every browser test a real Chromium
 * on a fresh machine: after `npm ci` alone, from the registry package, with no apt.
 */
describe('launchBrowser', () => {
  it('launches a real headless Chromium with a fresh profile it removes on close', async () => {
    const browser = await launchBrowser({ viewport: { width: 640, height: 360 } });
    try {
      expect(['env', 'registry', 'debian']).toContain(browser.source);
      expect(browser.version).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(existsSync(browser.userDataDir)).toBe(true);
      const page = await browser.context.newPage();
      await page.setContent('<p id="p">µs ±δ/2</p><script>p.dataset.ran = "yes"</script>');
      expect(await page.getAttribute('#p', 'data-ran')).toBe('yes');
      expect(
        await page.evaluate(
          () => (globalThis as unknown as { navigator: { userAgent: string } }).navigator.userAgent,
        ),
      ).toContain('HeadlessChrome');
      // Intl must take the default locale (a POSIX one from LANG=C used to break it).
      expect(await page.evaluate(() => new Intl.NumberFormat().format(1234.5))).toBe('1,234.5');
      const shot = await saveScreenshot(page, 'launcher.png');
      expect(shot.startsWith(ARTIFACTS_DIR)).toBe(true);
      expect((await readFile(shot)).subarray(1, 4).toString()).toBe('PNG');
      await writeArtifact(
        'browser.txt',
        `${browser.source} ${browser.executablePath} Chromium ${browser.version}\n`,
      );
    } finally {
      await browser.close();
    }
    expect(existsSync(browser.userDataDir)).toBe(false);
  });

  it('passes over a candidate that does not launch and uses the next one', async () => {
    const saved = process.env.CHROMIUM_PATH;
    process.env.CHROMIUM_PATH = '/nonexistent/timeswarm-test/chromium';
    try {
      const browser = await launchBrowser();
      try {
        expect(browser.source).not.toBe('env');
        const page = await browser.context.newPage();
        await page.setContent('<b>ok</b>');
        expect(await page.textContent('b')).toBe('ok');
      } finally {
        await browser.close();
      }
    } finally {
      if (saved === undefined) delete process.env.CHROMIUM_PATH;
      else process.env.CHROMIUM_PATH = saved;
    }
  });
});
