/**
 * Issue 9, "a forged file is accepted as verified": an attacker announces (and serves) its own
 * `client_2_TimeData.txt` before the real owner joins. Victims are real `timeswarm share`
 * processes; the attacker speaks raw v2 bytes (./attacks/support.ts). Whatever happens, no
 * victim may exit 0 holding the forged bytes; each process exits by itself.
 */

import { hostileKey } from '../helpers/hostileCrypto';
import { HostilePeer } from '../helpers/hostilePeer';
import {
  acceptVictim,
  attackWorld,
  ending,
  expectExit,
  type HostileFile,
  held,
  serve,
  sha,
  signedManifestOf,
  startVictim,
} from './attacks/support';
import { randomBytes } from './helpers';

const NAME = 'client_2_TimeData.txt';

const world = attackWorld();

/**
 * The attacker listens; the victim has it in `--peers` and holds `own.bin`. The attacker
 * greets with a signed manifest of its forged NAME and serves it. Then the real owner of NAME
 * joins, knowing only the victim.
 */
async function forgedFirst(victimArgs: (ownerId: string) => string[]) {
  const listener = await HostilePeer.listen();
  world.closers.push(() => listener.close());
  const attacker = hostileKey();
  const forged: HostileFile = { name: NAME, data: randomBytes(6000), chunkSize: 1024 };
  const trueBytes = randomBytes(5000);
  const ownerKey = hostileKey();
  const victim = await startVictim(world.root, 'victim', {
    host: '127.0.0.2',
    files: [{ name: 'own.bin', data: randomBytes(3000) }],
    args: ['--peers', `127.0.0.1:${listener.port}`, ...victimArgs(ownerKey.peerId)],
    // The victim must still be there when the owner joins: the owner is a process started
    // only now, which takes seconds on a loaded machine. A victim that left before the second
    // content reached it cannot know of a conflict (README, "Owned files").
    linger: '15s',
    giveUp: '4s',
  });
  const socket = await acceptVictim(listener, attacker, [signedManifestOf(attacker, forged)]);
  const serving = serve(socket, [forged]);
  const owner = await startVictim(world.root, 'owner', {
    host: '127.0.0.3',
    key: ownerKey,
    files: [{ name: NAME, data: trueBytes }],
    args: ['--peers', victim.address],
    linger: '4s',
    giveUp: '4s',
  });
  const [v, o] = [await ending(victim.proc), await ending(owner.proc)];
  socket.close();
  await serving;
  return { v, o, victim, owner, forged, trueBytes };
}

describe('a forged file announced before its real owner (real processes, raw v2 attacker)', () => {
  // Was a known gap (first manifest won: the victim exited 0 with the forgery); §9.4/9.6 now.
  it('without --trust: the name fails with ERR_NAME_CONFLICT (exit 3), never done with the forgery', async () => {
    const { v, o, victim, owner, forged, trueBytes } = await forgedFirst(() => []);
    const victimHolds = await held(victim.dir);
    // The invariant of "Done means": exit 0 only with the true bytes.
    if (v.code === 0) expect(victimHolds[NAME]).toBe(sha(trueBytes));
    expect(victimHolds[NAME]).not.toBe(sha(forged.data));
    // The rule of §9.6: two contents for one name fail that name on every peer that sees both.
    expectExit(v, 3);
    expect(v.summary?.missing).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: NAME, reason: expect.stringMatching(/ERR_NAME_CONFLICT/) }),
      ]),
    );
    // The real owner keeps its own bytes, whatever it decides.
    expect((await held(owner.dir))[NAME]).toBe(sha(trueBytes));
    expect([0, 2, 3]).toContain(o.code);
  });

  it('with --trust OWNER: the forgery is ignored and the victim ends done with the true file', async () => {
    const { v, o, victim, trueBytes } = await forgedFirst((ownerId) => ['--trust', ownerId]);
    expectExit(v, 0);
    expect((await held(victim.dir))[NAME]).toBe(sha(trueBytes));
    expectExit(o, 0);
  });
});
