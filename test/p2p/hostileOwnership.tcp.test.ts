/**
 * Issue 9, owned files, as attacks over real TCP: the attacker is a raw-bytes peer
 * (test/helpers/hostilePeer.ts) that proves its own ID and then announces manifests it signed
 * (or forged), written from docs/protocol-p2p.md §9.4 in hostileCrypto.ts.
 */
import { readdir } from 'node:fs/promises';
import { selectMemberStatus } from '../../src/actors/peer';
import { generateIdentity } from '../../src/p2p/identity';
import { hostileKey, manifestFieldsOf, manifestMessage } from '../helpers/hostileCrypto';
import { HostilePeer } from '../helpers/hostilePeer';
import { hashes, hostileWorld, launch, randomBytes, sha, type TestPeer } from './helpers';

const NAME = 'client_2_TimeData.txt';
const chunkSize = 16 * 1024;

const world = hostileWorld();

/** An attacker that proved its own ID to `p` and is trading. */
async function attacker(p: TestPeer) {
  const socket = await HostilePeer.connect(p.started.address.host, p.started.address.port);
  world.sockets.push(socket);
  const key = hostileKey();
  const { outcome } = await socket.handshake({ role: 'dialer', key });
  expect(outcome?.type).not.toBe('bye');
  return { socket, key };
}

describe('owned files under attack (real TCP, raw bytes)', () => {
  it('a forged file announced before its owner joins: ERR_NAME_CONFLICT on the victim and on the owner, never done, no .part left', async () => {
    const v = await launch(
      world.root,
      'victim',
      { name: 'v.bin', data: randomBytes(10_000) },
      { chunkSize },
    );
    world.peers.push(v);
    const { socket, key } = await attacker(v);
    socket.send(manifestMessage(key, manifestFieldsOf(NAME, randomBytes(50_000), chunkSize)));
    await socket.next('manifest'); // the victim's greeting: it trades with the attacker
    const real = randomBytes(40_000);
    const owner = await launch(
      world.root,
      'owner',
      { name: NAME, data: real },
      {
        chunkSize,
        bootstrap: [v.started.address],
      },
    );
    world.peers.push(owner);
    const [sv, so] = await Promise.all([v.started.done, owner.started.done]);
    for (const s of [sv, so]) {
      expect(s.outcome).toBe('failed');
      const missing = s.missing.find((m) => m.name === NAME);
      expect(missing?.reason).toMatch(/^ERR_NAME_CONFLICT: /);
      // Both owners are named.
      expect(missing?.reason).toContain(key.peerId);
      expect(missing?.reason).toContain(so.peerId);
    }
    // The victim keeps neither content, not even a partial one.
    expect((await readdir(v.dir)).filter((f) => f.includes(NAME))).toEqual([]);
  });

  it('with --trust naming the owner: the forgery is ignored (ERR_UNTRUSTED_OWNER) and the true file arrives', async () => {
    const ownerData = randomBytes(40_000);
    const ownerIdentity = generateIdentity().identity;
    const v = await launch(
      world.root,
      'victim',
      { name: 'v.bin', data: randomBytes(10_000) },
      {
        chunkSize,
        expect: 2,
        trust: [ownerIdentity.peerId],
      },
    );
    world.peers.push(v);
    const { socket, key } = await attacker(v);
    socket.send(manifestMessage(key, manifestFieldsOf(NAME, randomBytes(50_000), chunkSize)));
    await socket.next('manifest');
    // Once the forgery is in, the owner comes.
    const owner = await launch(
      world.root,
      'owner',
      { name: NAME, data: ownerData },
      {
        identity: ownerIdentity,
        chunkSize,
        expect: 2,
        bootstrap: [v.started.address],
      },
    );
    world.peers.push(owner);
    const sv = await v.started.done;
    expect(sv.outcome).toBe('done');
    expect((await hashes(v.dir))[NAME]).toBe(sha(ownerData));
    // Not a protocol error: the attacker is not banned, only not believed.
    expect(sv.banned).toEqual([]);
  });

  it('a manifest naming another owner but signed by the attacker: ERR_BAD_SIGNATURE, attacker banned', async () => {
    const v = await launch(
      world.root,
      'victim',
      { name: 'v.bin', data: randomBytes(10_000) },
      { chunkSize },
    );
    world.peers.push(v);
    const { socket, key } = await attacker(v);
    const honest = hostileKey();
    socket.send(
      manifestMessage(key, manifestFieldsOf(NAME, randomBytes(20_000), chunkSize), {
        claimAs: honest,
      }),
    );
    expect(await socket.byeCode()).toBe('ERR_BAD_SIGNATURE');
    expect(selectMemberStatus(v.started.actor.getSnapshot(), honest.peerId)).toBeNull();
  });

  it('an owner ID that is not its key’s fingerprint: ERR_PEER_ID_MISMATCH', async () => {
    const v = await launch(
      world.root,
      'victim',
      { name: 'v.bin', data: randomBytes(10_000) },
      { chunkSize },
    );
    world.peers.push(v);
    const { socket, key } = await attacker(v);
    const message = manifestMessage(key, manifestFieldsOf(NAME, randomBytes(20_000), chunkSize));
    socket.send({ ...message, ownerKey: hostileKey().publicKey });
    expect(await socket.byeCode()).toBe('ERR_PEER_ID_MISMATCH');
  });

  it('two honest world.peers whose files share a name but not content: both fail that name (ERR_NAME_CONFLICT), each naming the other', async () => {
    const a = await launch(
      world.root,
      'a',
      { name: NAME, data: randomBytes(20_000) },
      { chunkSize, expect: 2 },
    );
    world.peers.push(a);
    const b = await launch(
      world.root,
      'b',
      { name: NAME, data: randomBytes(20_000) },
      {
        chunkSize,
        expect: 2,
        bootstrap: [a.started.address],
      },
    );
    world.peers.push(b);
    const [sa, sb] = await Promise.all([a.started.done, b.started.done]);
    for (const s of [sa, sb]) {
      expect(s.outcome).toBe('failed');
      const reason = s.missing.find((m) => m.name === NAME)?.reason ?? '';
      expect(reason).toMatch(/^ERR_NAME_CONFLICT: /);
      expect(reason).toContain(sa.peerId);
      expect(reason).toContain(sb.peerId);
    }
  });
});
