/**
 * Issue 9, "two honest peers whose files share a name but not content": real `timeswarm share`
 * processes, with and without --expect. Neither may end done (exit 0); each fails the name
 * with ERR_NAME_CONFLICT (§9.6), keeps its own bytes, and exits by itself.
 */
import { killAll } from '../helpers/cliProcess';
import { ending, expectExit, held, sha, startVictim } from './attacks/support';
import { randomBytes, rm, tempDir } from './helpers';

let root: string;
beforeEach(async () => {
  root = await tempDir();
});
afterEach(async () => {
  killAll();
  await rm(root, { recursive: true, force: true });
});

describe('two honest peers, one name, two contents (real processes)', () => {
  // Was a known gap (no ownership rule): with --expect 2 both exited 2 saying "only 1 were
  // ever announced"; without it both exited 0, each holding only its own bytes.
  it.each([
    ['with --expect 2', ['--expect', '2']],
    ['without --expect', [] as string[]],
  ])(
    '%s: both fail the name with ERR_NAME_CONFLICT, exit 3 (its own code), each keeps its own',
    async (_l, expect2) => {
      const one = randomBytes(4000);
      const two = randomBytes(4000);
      const p1 = await startVictim(root, 'p1', {
        host: '127.0.0.2',
        files: [{ name: 'same.txt', data: one }],
        args: [...expect2],
      });
      const p2 = await startVictim(root, 'p2', {
        host: '127.0.0.3',
        files: [{ name: 'same.txt', data: two }],
        args: ['--peers', p1.address, ...expect2],
      });
      const [e1, e2] = [await ending(p1.proc), await ending(p2.proc)];
      expect((await held(p1.dir))['same.txt']).toBe(sha(one));
      expect((await held(p2.dir))['same.txt']).toBe(sha(two));
      for (const e of [e1, e2]) {
        expectExit(e, 3);
        // With --expect 2 the second expected name is missing too ("(1 unknown)").
        expect(e.summary?.missing).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              name: 'same.txt',
              reason: expect.stringMatching(/ERR_NAME_CONFLICT/),
            }),
          ]),
        );
        expect(e.summary?.missing.filter((m) => m.name !== 'same.txt').map((m) => m.name)).toEqual(
          expect2.length > 0 ? ['(1 unknown)'] : [],
        );
      }
    },
  );
});
