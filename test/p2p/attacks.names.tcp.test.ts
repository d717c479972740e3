/**
 * Issue 9, "names a person cannot read safely": U+202E, a Cyrillic homoglyph, a zero-width
 * space, a BOM, a leading `-`, `*`, `$(touch x)`, … each in a validly signed manifest from an
 * attacker speaking raw v2 bytes to a real `timeswarm share` process. Each is refused with
 * ERR_BAD_FILE_NAME; nothing is created in the folder or where the victim runs.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { killAll } from '../helpers/cliProcess';
import { HOSTILE_NAMES, hostileKey } from '../helpers/hostileCrypto';
import {
  dialVictim,
  ending,
  expectExit,
  held,
  sha,
  signedManifestOf,
  startVictim,
} from './attacks/support';
import { randomBytes, rm, tempDir } from './helpers';

let root: string;
beforeEach(async () => {
  root = await tempDir();
});
afterEach(async () => {
  killAll();
  await rm(root, { recursive: true, force: true });
});

/** Offers every hostile name to one victim, each from a fresh identity; the victim's answers. */
async function offerAll(cwd: string, own: Buffer) {
  const victim = await startVictim(root, 'victim', {
    host: '127.0.0.2',
    files: [{ name: 'v.bin', data: own }],
    linger: '3s',
    cwd,
  });
  const codes: Record<string, string | null> = {};
  for (const name of HOSTILE_NAMES) {
    // A fresh identity each time: a ban of one is no defence against the next.
    const key = hostileKey();
    const socket = await dialVictim(victim, key);
    socket.send(signedManifestOf(key, { name, data: randomBytes(100), chunkSize: 64 }));
    codes[name] = await socket.byeCode(10_000).catch(() => 'no answer');
    socket.close();
  }
  return { victim, codes };
}

describe('unreadable names (real process, raw v2 attacker)', () => {
  it('every hostile name is refused and its sender cut off; nothing is written; the victim ends on its own', async () => {
    const cwd = join(root, 'cwd');
    await mkdir(cwd);
    const own = randomBytes(2000);
    const { victim, codes } = await offerAll(cwd, own);
    for (const name of HOSTILE_NAMES) {
      // §9.7 says ERR_BAD_FILE_NAME; until signed manifests land the peer answers v1's
      // ERR_BAD_MANIFEST (8.4) — the test below holds the exact code.
      expect([name, codes[name]]).toEqual([
        name,
        expect.stringMatching(/^ERR_BAD_(FILE_NAME|MANIFEST)$/),
      ]);
    }
    const e = await ending(victim.proc);
    expectExit(e, 0);
    expect(await held(victim.dir)).toEqual({ 'v.bin': sha(own) });
    expect(
      (await readdir(victim.dir)).filter((n) => !['v.bin', '.timeswarm-peer.key'].includes(n)),
    ).toEqual([]);
    // `$(touch x)` stayed a string: nothing appeared where the victim runs.
    expect(await readdir(cwd)).toEqual([]);
  });

  it('the code is ERR_BAD_FILE_NAME (§9.7)', async () => {
    const cwd = join(root, 'cwd');
    await mkdir(cwd);
    const { victim, codes } = await offerAll(cwd, randomBytes(2000));
    expect(codes).toEqual(Object.fromEntries(HOSTILE_NAMES.map((n) => [n, 'ERR_BAD_FILE_NAME'])));
    expectExit(await ending(victim.proc), 0);
  });
});
