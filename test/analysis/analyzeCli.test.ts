import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { RunAnalysis } from '../../src/analysis';
import { parseSkew } from '../../src/cli/commands/server';
import { writeSyntheticRun } from './syntheticRun';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const cli = (...args: string[]) =>
  run(process.execPath, [join(ROOT, 'bin', 'timeswarm.cjs'), ...args], { cwd: ROOT });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'timeswarm-analyze-cli-'));
  await writeSyntheticRun(dir, [
    { clientId: 4, address: '127.0.0.5', slots: 100, offsetMs: 25, missed: [50] },
  ]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('timeswarm analyze', () => {
  it('prints the statistics as one JSON document and writes the HTML report', async () => {
    const html = join(dir, 'report.html');
    const { stdout, stderr } = await cli('analyze', dir, '--json', '--html', html);
    const analysis = JSON.parse(stdout) as RunAnalysis;
    expect(analysis.clients[0]).toMatchObject({ clientId: 4, ticks: 99, missedSlots: 1 });
    expect(analysis.clients[0]!.offsetMs!.median).toBeCloseTo(25, 0);
    expect(stderr).toContain(html);
    expect(await readFile(html, 'utf8')).toContain('data-client="4"');
  });
});

describe('--skew', () => {
  it('takes a signed duration: positive puts the server ahead', () => {
    expect(parseSkew('25ms')).toBe(25);
    expect(parseSkew('-25ms')).toBe(-25);
    expect(parseSkew('+1.5s')).toBe(1500);
    expect(parseSkew('0ms')).toBe(0);
    expect(() => parseSkew('25')).toThrow();
    expect(() => parseSkew('ms')).toThrow();
  });
});
