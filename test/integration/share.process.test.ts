/**
 * Every share ends on its own (issue 9, item 1): real `timeswarm` processes over loopback TCP.
 * Each test waits for a process's last state (its summary line) and then fails if the process
 * is still alive a bounded time later — a timer or socket left behind keeps a process running.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SHARE_EXIT } from '../../src/cli/commands/share';
import { killAll, timeswarm, timeswarmServer } from '../helpers/cliProcess';
import { randomBytes, rm, tempDir } from '../p2p/helpers';

/** After its summary line, a process must be gone within this long (generous, for a busy box). */
const EXIT_BOUND_MS = 10_000;

let root: string;
beforeEach(async () => {
  root = await tempDir();
});
afterEach(async () => {
  killAll();
  await rm(root, { recursive: true, force: true });
});

async function fileIn(
  label: string,
  name: string,
  bytes: number,
): Promise<{ dir: string; file: string }> {
  const dir = join(root, label);
  await mkdir(dir, { recursive: true });
  const file = join(dir, name);
  await writeFile(file, randomBytes(bytes));
  return { dir, file };
}

type Proc = ReturnType<typeof timeswarm>;

/** Waits for the summary line, then for the exit within {@link EXIT_BOUND_MS}; the exit code. */
async function endsAfterItsLastState(proc: Proc, limitMs = 60_000): Promise<number | null> {
  await proc.waitFor(/^peer \S+: (done|failed);/m, limitMs, 'stdout');
  const timeout = new Promise<'alive'>((resolve) => {
    const timer = setTimeout(() => resolve('alive'), EXIT_BOUND_MS);
    void proc.exited.then(() => clearTimeout(timer));
  });
  const outcome = await Promise.race([proc.exited, timeout]);
  if (outcome === 'alive')
    throw new Error(
      `still running ${EXIT_BOUND_MS} ms after its last state:\n${proc.output().stderr}`,
    );
  return outcome;
}

const share = (args: string[]) =>
  timeswarm(['share', '--listen', '127.0.0.1:0', '--linger', '1s', '--give-up', '2s', ...args]);

const listening = async (proc: Proc) => {
  const [, port] = await proc.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
  return `127.0.0.1:${port}`;
};

describe('every share ends on its own (real processes)', () => {
  it.each([
    ['without --expect', [] as string[]],
    ['with --expect 2', ['--expect', '2']],
  ])('two peers end done and exit 0 (%s)', async (_label, expect2) => {
    const a = await fileIn('a', 'a.bin', 50_000);
    const b = await fileIn('b', 'b.bin', 40_000);
    const pa = share(['--file', a.file, '--dir', a.dir, ...expect2]);
    const pb = share([
      '--file',
      b.file,
      '--dir',
      b.dir,
      '--peers',
      await listening(pa),
      ...expect2,
    ]);
    expect(await endsAfterItsLastState(pa)).toBe(SHARE_EXIT.ok);
    expect(await endsAfterItsLastState(pb)).toBe(SHARE_EXIT.ok);
    // Each printed its fingerprint (13 groups of 4) and created its key file on this first run.
    for (const p of [pa, pb])
      expect(p.output().stderr).toMatch(
        /^fingerprint [A-Z2-7]{4}(-[A-Z2-7]{4}){12} \(key .+, created\)$/m,
      );
    expect((await readdir(a.dir)).sort()).toEqual(['.timeswarm-peer.key', 'a.bin', 'b.bin']);
    expect((await readdir(b.dir)).sort()).toEqual(['.timeswarm-peer.key', 'a.bin', 'b.bin']);
  });

  it('a peer that is complete on its own (--expect 1) ends at once and exits 0', async () => {
    // Complete when it starts: it passes through the swarm state within one step, so the
    // listener it opened must still be closed on the way out.
    const a = await fileIn('a', 'a.bin', 20_000);
    const pa = share(['--file', a.file, '--dir', a.dir, '--expect', '1']);
    expect(await endsAfterItsLastState(pa)).toBe(SHARE_EXIT.ok);
  });

  it.each([
    ['without --expect', [] as string[]],
    ['with --expect 3', ['--expect', '3']],
  ])(
    'a file whose only holder vanished: give up, exit 2 naming it (%s)',
    async (_label, expect3) => {
      const a = await fileIn('a', 'a.bin', 2000);
      const b = await fileIn('b', 'b.bin', 2000);
      const c = await fileIn('c', 'c.bin', 2_000_000);
      const pa = share(['--file', a.file, '--dir', a.dir, ...expect3]);
      const first = await listening(pa);
      // The holder of c.bin serves slowly, then disappears without a word.
      const pc = share([
        '--file',
        c.file,
        '--dir',
        c.dir,
        '--peers',
        first,
        '--upload-limit',
        '20KB/s',
      ]);
      const pb = share(['--file', b.file, '--dir', b.dir, '--peers', first, ...expect3]);
      await pa.waitFor(/ \d\/3 files/);
      await pb.waitFor(/ \d\/3 files/);
      pc.child.kill('SIGKILL');
      for (const proc of [pa, pb]) {
        expect(await endsAfterItsLastState(proc)).toBe(SHARE_EXIT.missing);
        const { stdout } = proc.output();
        expect(stdout).toMatch(/^error ERR_MISSING_FILES:/m);
        expect(stdout).toMatch(/^missing c\.bin:/m);
      }
    },
  );

  it('client --peers: the session, then the share, then exit 0', async () => {
    const s = await fileIn('s', 's.bin', 30_000);
    const peer = share(['--file', s.file, '--dir', s.dir]);
    const address = await listening(peer);
    const server = await timeswarmServer(['--port', '0', '--out', join(root, 'server')]);
    const out = join(root, 'client');
    const client = timeswarm([
      'client',
      '--server',
      `127.0.0.1:${server.port}`,
      '--id',
      '7',
      '--interval',
      '50ms',
      '--duration',
      '500ms',
      '--out',
      out,
      '--quiet',
      '--listen',
      '127.0.0.1:0',
      '--peers',
      address,
      '--linger',
      '1s',
    ]);
    expect(await endsAfterItsLastState(client)).toBe(SHARE_EXIT.ok);
    expect(await endsAfterItsLastState(peer)).toBe(SHARE_EXIT.ok);
    expect(await readdir(out)).toEqual(expect.arrayContaining(['client_7_TimeData.txt', 's.bin']));
    expect(await readdir(s.dir)).toEqual(
      expect.arrayContaining(['client_7_TimeData.txt', 's.bin']),
    );
    server.child.kill('SIGTERM');
  });
});
