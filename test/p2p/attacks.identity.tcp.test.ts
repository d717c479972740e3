/**
 * Issue 9, "identities are self-declared": an attacker claims an honest peer's ID and key
 * (it cannot sign for them) and would then send a bad manifest to get that peer banned.
 * Victims are real `timeswarm share` processes; the attacker speaks raw v2 bytes.
 */

import { killAll } from '../helpers/cliProcess';
import { hostileKey, manifestMessage } from '../helpers/hostileCrypto';
import { HostilePeer } from '../helpers/hostilePeer';
import { dials, ending, held, sha, startVictim } from './attacks/support';
import { randomBytes, rm, tempDir } from './helpers';

let root: string;
const sockets: HostilePeer[] = [];
beforeEach(async () => {
  root = await tempDir();
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  killAll();
  await rm(root, { recursive: true, force: true });
});

describe('a hello with an honest peer’s ID (real processes, raw v2 attacker)', () => {
  it('is refused ERR_BAD_SIGNATURE; the honest peer is not banned, no redial storm, both end done', async () => {
    const honestKey = hostileKey();
    const vData = randomBytes(5000);
    const hData = randomBytes(5000);
    const victim = await startVictim(root, 'victim', {
      host: '127.0.0.2',
      files: [{ name: 'v.bin', data: vData }],
      args: ['--expect', '2'],
      linger: '2s',
    });
    // Five tries, each with the honest ID and key, signed with the attacker's own key, each
    // followed by the bad manifest that used to get the claimed ID banned.
    const attacker = hostileKey();
    for (let i = 0; i < 5; i++) {
      const socket = await HostilePeer.connect(victim.host, victim.port);
      sockets.push(socket);
      const result = await socket.handshake({
        role: 'dialer',
        key: attacker,
        claim: { peerId: honestKey.peerId, publicKey: honestKey.publicKey },
      });
      socket.send(
        manifestMessage(attacker, {
          name: 'bad.bin',
          size: 10,
          sha256: randomBytes(32),
          chunkSize: 4,
          chunkHashes: randomBytes(32),
        }),
      );
      expect(result.outcome).toMatchObject({ type: 'bye', code: 'ERR_BAD_SIGNATURE' });
    }
    const honest = await startVictim(root, 'honest', {
      host: '127.0.0.3',
      key: honestKey,
      files: [{ name: 'h.bin', data: hData }],
      args: ['--expect', '2', '--peers', victim.address],
      linger: '2s',
    });
    expect(honest.peerId).toBe(honestKey.peerId);
    const [v, h] = [await ending(victim.proc), await ending(honest.proc)];
    expect([v.code, h.code]).toEqual([0, 0]);
    expect(v.summary?.banned).toEqual([]);
    expect(h.summary?.banned).toEqual([]);
    expect(await held(victim.dir)).toEqual({ 'h.bin': sha(hData), 'v.bin': sha(vData) });
    expect(await held(honest.dir)).toEqual({ 'h.bin': sha(hData), 'v.bin': sha(vData) });
    // No redial storm: each side dialed the other a handful of times at most (6,521 before).
    const toHonest = (await dials(victim)).filter((d) => d.port === honest.port);
    const toVictim = (await dials(honest)).filter((d) => d.port === victim.port);
    expect(toHonest.length).toBeLessThanOrEqual(5);
    expect(toVictim.length).toBeLessThanOrEqual(5);
  });
});
