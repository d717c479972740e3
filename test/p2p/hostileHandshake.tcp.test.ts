/**
 * Issue 9, proven identities, as attacks over real TCP: a hostile peer speaking the protocol's
 * raw bytes (test/helpers/hostilePeer.ts, its crypto written from docs/protocol-p2p.md §9 in
 * hostileCrypto.ts) against real world.peers. Each attack asserts the code the victim answers with.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { selectMemberStatus, selectPeerId, selectPeerProgress } from '../../src/actors/peer';
import { hostileKey } from '../helpers/hostileCrypto';
import { HostilePeer } from '../helpers/hostilePeer';
import { hashes, hostileWorld, launch, randomBytes, sha, type TestPeer } from './helpers';

const world = hostileWorld();

async function victim(options: Record<string, unknown> = {}): Promise<TestPeer> {
  const p = await launch(
    world.root,
    'victim',
    { name: 'v.bin', data: randomBytes(20_000) },
    options,
  );
  world.peers.push(p);
  return p;
}

async function dial(p: TestPeer): Promise<HostilePeer> {
  const socket = await HostilePeer.connect(p.started.address.host, p.started.address.port);
  world.sockets.push(socket);
  return socket;
}

/** The victim's own ID and key, as its hello shows them. */
async function victimHello(p: TestPeer) {
  const probe = await dial(p);
  const hello = await probe.next('hello');
  probe.close();
  return { peerId: String(hello!.peerId), publicKey: Buffer.from(hello!.publicKey as Uint8Array) };
}

describe('v2 handshake under attack (real TCP, raw bytes)', () => {
  it('a v1 peer (hello version 1, with its entry) is answered ERR_VERSION', async () => {
    const v = await victim();
    const socket = await dial(v);
    socket.send({
      type: 'hello',
      version: 1,
      self: { peerId: 'old', host: '', port: 1, seq: 1, complete: false, offers: [] },
    });
    expect(await socket.byeCode()).toBe('ERR_VERSION');
  });

  it('a hello of another version, v2-shaped, is answered ERR_VERSION', async () => {
    const v = await victim();
    const { outcome } = await (await dial(v)).handshake({ role: 'dialer', version: 3 });
    expect(outcome).toMatchObject({ type: 'bye', code: 'ERR_VERSION' });
  });

  it('an honest peer’s ID and key, signed with another key: ERR_BAD_SIGNATURE, and the honest peer is never banned', async () => {
    const v = await victim({ expect: 2 });
    const honestData = randomBytes(30_000);
    // The impersonated peer exists and is about to join.
    const honestKey = hostileKey();
    const forged = await (await dial(v)).handshake({
      role: 'dialer',
      claim: { peerId: honestKey.peerId, publicKey: honestKey.publicKey },
    });
    expect(forged.outcome).toMatchObject({ type: 'bye', code: 'ERR_BAD_SIGNATURE' });
    // Nothing it says after that is heard: it never got past the handshake.
    expect(selectMemberStatus(v.started.actor.getSnapshot(), honestKey.peerId)).toBeNull();
    // A real honest peer whose ID an attacker tried: still admitted, exchange completes.
    const h = await launch(
      world.root,
      'honest',
      { name: 'h.bin', data: honestData },
      {
        expect: 2,
        bootstrap: [v.started.address],
      },
    );
    world.peers.push(h);
    const hId = selectPeerId(h.started.actor.getSnapshot());
    const forgedH = await (await dial(v)).handshake({
      role: 'dialer',
      claim: {
        peerId: hId,
        publicKey: Buffer.from(h.started.actor.getSnapshot().context.config.identity.publicKey),
      },
    });
    expect(forgedH.outcome).toMatchObject({ type: 'bye', code: 'ERR_BAD_SIGNATURE' });
    const [sv, sh] = await Promise.all([v.started.done, h.started.done]);
    expect([sv.outcome, sh.outcome]).toEqual(['done', 'done']);
    expect(sv.banned).toEqual([]);
    expect(await hashes(v.dir)).toMatchObject({ 'h.bin': sha(honestData) });
  });

  it('an ID that is not its key’s fingerprint: ERR_PEER_ID_MISMATCH', async () => {
    const v = await victim();
    const other = hostileKey();
    const { outcome } = await (await dial(v)).handshake({
      role: 'dialer',
      claim: { peerId: other.peerId, publicKey: hostileKey().publicKey },
    });
    expect(outcome).toMatchObject({ type: 'bye', code: 'ERR_PEER_ID_MISMATCH' });
  });

  it('the victim’s own ID and key (it cannot sign): ERR_SELF', async () => {
    const v = await victim();
    const self = await victimHello(v);
    const { outcome } = await (await dial(v)).handshake({ role: 'dialer', claim: self });
    expect(outcome).toMatchObject({ type: 'bye', code: 'ERR_SELF' });
  });

  it('the victim’s own nonce reflected back: ERR_PROTOCOL', async () => {
    const v = await victim();
    const socket = await dial(v);
    const theirs = await socket.next('hello');
    const key = hostileKey();
    socket.send({
      type: 'hello',
      version: 2,
      peerId: key.peerId,
      publicKey: key.publicKey,
      nonce: theirs!.nonce,
    });
    expect(await socket.byeCode()).toBe('ERR_PROTOCOL');
  });

  it('a manifest before the handshake ends: ERR_PROTOCOL', async () => {
    const v = await victim();
    const socket = await dial(v);
    const key = hostileKey();
    socket.send({
      type: 'hello',
      version: 2,
      peerId: key.peerId,
      publicKey: key.publicKey,
      nonce: nodeRandomBytes(32),
    });
    await socket.next('hello');
    socket.send({ type: 'peers', peers: [] });
    expect(await socket.byeCode()).toBe('ERR_PROTOCOL');
  });

  it.each([
    ['no membership proof', undefined],
    ['a proof made with the wrong secret', 'not-the-secret'],
  ])('with --secret, %s: ERR_AUTH before anything is announced', async (_label, secret) => {
    const v = await victim({ secret: 'swarm-secret' });
    const result = await (await dial(v)).handshake({
      role: 'dialer',
      ...(secret !== undefined ? { secret } : {}),
    });
    // The victim's own auth came (its MAC proves nothing to us without the secret)…
    expect(result.auth).toMatchObject({ type: 'auth' });
    // …and then the refusal, with nothing of the victim's files or world.peers before it.
    expect(result.outcome).toMatchObject({ type: 'bye', code: 'ERR_AUTH' });
    expect(selectPeerProgress(v.started.actor.getSnapshot()).connected).toBe(0);
  });

  it('with --secret, a member that proves it is greeted', async () => {
    const v = await victim({ secret: 'swarm-secret' });
    const result = await (await dial(v)).handshake({ role: 'dialer', secret: 'swarm-secret' });
    expect(result.auth).toMatchObject({ type: 'auth' });
    expect(result.outcome).toMatchObject({ type: 'manifest', name: 'v.bin' });
  });

  it('two honest world.peers with --secret exchange; a third without it never gets in', async () => {
    const a = await launch(
      world.root,
      'a',
      { name: 'a.bin', data: randomBytes(10_000) },
      {
        secret: 's3cret',
        expect: 2,
      },
    );
    world.peers.push(a);
    const b = await launch(
      world.root,
      'b',
      { name: 'b.bin', data: randomBytes(10_000) },
      {
        secret: 's3cret',
        expect: 2,
        bootstrap: [a.started.address],
      },
    );
    world.peers.push(b);
    const outsider = await launch(
      world.root,
      'c',
      { name: 'c.bin', data: randomBytes(100) },
      {
        expect: 3,
        bootstrap: [a.started.address],
        discoveryTimeoutMs: 1500,
      },
    );
    world.peers.push(outsider);
    const [sa, sb, sc] = await Promise.all([a, b, outsider].map((p) => p.started.done));
    expect([sa!.outcome, sb!.outcome]).toEqual(['done', 'done']);
    expect(sa!.files.map((f) => f.name).sort()).toEqual(['a.bin', 'b.bin']);
    // The outsider got nothing and gave nothing: no file, no entry in anyone's view.
    expect(sc!.outcome).toBe('failed');
    expect(sc!.files.map((f) => f.name)).toEqual(['c.bin']);
    expect(sb!.files.map((f) => f.name).sort()).toEqual(['a.bin', 'b.bin']);
    for (const s of [sa!, sb!]) expect(s.peers.map((p) => p.peerId)).not.toContain(sc!.peerId);
  });
});
