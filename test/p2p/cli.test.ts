import { execFile } from 'node:child_process';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SHARE_EXIT } from '../../src/cli/commands/share';
import { parsePeerList, parseRate, parseSize } from '../../src/options';
import { randomBytes, rm, tempDir } from './helpers';

const ROOT = resolve(__dirname, '..', '..');

function run(
  args: string[],
  timeoutMs = 60_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, args, { cwd: ROOT, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? ((error as { code?: number }).code ?? 1) : 0;
      done({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

describe('timeswarm share (CLI)', () => {
  it('parses sizes, rates and peer lists, and refuses nonsense', () => {
    expect(parseSize('64KiB')).toBe(65_536);
    expect(parseSize('4MB')).toBe(4_000_000);
    expect(parseRate('2MB/s')).toBe(2_000_000);
    expect(parseRate('unlimited')).toBeNull();
    expect(parsePeerList('127.0.0.1:7001,127.0.0.2:7002')).toEqual([
      { host: '127.0.0.1', port: 7001 },
      { host: '127.0.0.2', port: 7002 },
    ]);
    expect(() => parseSize('lots')).toThrow();
    expect(() => parseRate('-1MB/s')).toThrow();
    expect(() => parsePeerList('nohost')).toThrow();
  });

  it('exits 1 with a clear message when a --file cannot be read', async () => {
    const dir = await tempDir();
    try {
      const result = await run([
        'bin/timeswarm.cjs',
        'share',
        '--file',
        join(dir, 'nope'),
        '--dir',
        dir,
        '--listen',
        '127.0.0.1:0',
      ]);
      expect(result.code).toBe(SHARE_EXIT.error);
      expect(result.stderr).toMatch(/ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('example k-peers: 3 peers in their own processes all end with all files', async () => {
    const out = await tempDir();
    try {
      const result = await run(
        [
          '--import',
          'tsx',
          'examples/k-peers.ts',
          '--peers',
          '3',
          '--size',
          '200KB',
          '--out',
          out,
          '--linger',
          '5s',
        ],
        90_000,
      );
      expect(result.stderr).toMatch(/every peer holds every file, SHA-256 verified/);
      expect(result.code).toBe(0);
      for (let i = 1; i <= 3; i++) {
        expect((await readdir(join(out, `peer_${i}`))).sort()).toEqual([
          // Each peer's identity: its key file, in its own folder, readable by its owner only.
          '.timeswarm-peer.key',
          'peer_1_TimeData.txt',
          'peer_2_TimeData.txt',
          'peer_3_TimeData.txt',
        ]);
        const key = await stat(join(out, `peer_${i}`, '.timeswarm-peer.key'));
        expect(key.mode & 0o777).toBe(0o600);
      }
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('exits 2 naming the unreachable bootstrap peer when no peer is ever reached', async () => {
    const dir = await tempDir();
    try {
      await mkdir(join(dir, 'a'));
      await writeFile(join(dir, 'a', 'mine.bin'), randomBytes(1000));
      const result = await run([
        'bin/timeswarm.cjs',
        '--log-level',
        'silent',
        'share',
        '--file',
        join(dir, 'a', 'mine.bin'),
        '--dir',
        join(dir, 'a'),
        '--listen',
        '127.0.0.1:0',
        '--peers',
        '127.0.0.1:1',
        '--expect',
        '2',
        '--discovery-timeout',
        '500ms',
      ]);
      expect(result.code).toBe(SHARE_EXIT.missing);
      // The summary (on stdout) names the code and the peer that was never reached.
      expect(result.stdout).toMatch(/ERR_NO_PEERS/);
      expect(result.stdout).toMatch(/127\.0\.0\.1:1/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
