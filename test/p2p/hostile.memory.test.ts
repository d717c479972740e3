import { readdir } from 'node:fs/promises';
import { selectMemberStatus, selectPeerProgress, selectSelfEntry } from '../../src/actors/peer';
import { signOwnRecord } from '../../src/p2p/gossip';
import { identityFromPrivateKey } from '../../src/p2p/identity';
import { recordToWire } from '../../src/p2p/wire';
import { Bitfield } from '../../src/storage/bitfield';
import { createMemoryNetwork, type MemoryNetwork } from '../../src/transport';
import {
  type HostileKey,
  hostileKey,
  manifestFieldsOf,
  manifestMessage as signedManifest,
} from '../helpers/hostileCrypto';
import { fakePeer, hashes, launch, randomBytes, rm, sha, type TestPeer, tempDir } from './helpers';

let root: string;
let network: MemoryNetwork;
const peers: TestPeer[] = [];
beforeEach(async () => {
  root = await tempDir();
  network = createMemoryNetwork();
});
afterEach(async () => {
  for (const p of peers.splice(0)) {
    if (p.started.actor.getSnapshot().status === 'active') {
      p.started.actor.send({ type: 'peer.stop', reason: 'test over' });
    }
    await p.started.done.catch(() => undefined);
  }
  await rm(root, { recursive: true, force: true });
});

const onMemory = (host: string) => ({ transport: network, listen: { host, port: 0 } });
const chunkSize = 16 * 1024;

/**
 * A signed manifest message for `data` under any name, bypassing the builder's name check
 * (written from §9.4 in hostileCrypto.ts), signed by `owner` (a fresh key by default).
 */
function manifestMessage(name: string, data: Buffer, owner: HostileKey = hostileKey()) {
  const count = Math.ceil(data.length / chunkSize);
  return signedManifest(owner, manifestFieldsOf(name, data, chunkSize), {
    have: Bitfield.full(count).toBytes(),
  });
}

describe('hostile peers (in-memory network)', () => {
  it.each([
    ['../x', '../x', 'ERR_BAD_FILE_NAME'],
    ['/etc/passwd', '/etc/passwd', 'ERR_BAD_FILE_NAME'],
    ['a/b', 'a/b', 'ERR_BAD_FILE_NAME'],
    ['a NUL byte', 'nul\0byte', 'ERR_BAD_FILE_NAME'],
    ['..', '..', 'ERR_BAD_FILE_NAME'],
    // Over the schema's bound: dropped by the connection before any logic sees it.
    ['10,000 characters', 'x'.repeat(10_000), 'ECONNRESET'],
  ])('a manifest named %s is refused and its sender cut off', async (_label, name, code) => {
    const own = { name: 'own.bin', data: randomBytes(2 * chunkSize) };
    const p = await launch(root, 'p', own, { ...onMemory('127.0.0.1'), expect: 2 });
    peers.push(p);
    const fake = await fakePeer(network, p.started.address);
    await fake.next('manifest');
    fake.send(manifestMessage(name, randomBytes(100)) as never);
    const { code: closedWith } = await fake.closed;
    expect(closedWith).toBe(code);
    // The honest peer goes on: a real second peer still gets and gives its file.
    const q = await launch(
      root,
      'q',
      { name: 'q.bin', data: randomBytes(chunkSize) },
      {
        ...onMemory('127.0.0.2'),
        expect: 2,
        bootstrap: [p.started.address],
      },
    );
    peers.push(q);
    const [sp, sq] = await Promise.all([p.started.done, q.started.done]);
    expect([sp.outcome, sq.outcome]).toEqual(['done', 'done']);
    expect((await readdir(p.dir)).sort()).toEqual(['own.bin', 'q.bin']);
    expect((await readdir(root)).sort()).toEqual(['p', 'q']);
  });

  it('an entry offering an unsafe name is never taken in (v2: a hello carries no names)', async () => {
    const p = await launch(
      root,
      'p',
      { name: 'own.bin', data: randomBytes(10) },
      onMemory('127.0.0.1'),
    );
    peers.push(p);
    const fake = await fakePeer(network, p.started.address, { offers: ['../../etc/passwd'] });
    await fake.next('peers');
    // Its greeting arrived (the fake's own entry, with the unsafe name): dropped, not merged.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(selectMemberStatus(p.started.actor.getSnapshot(), fake.peerId)).toBeNull();
    expect(selectPeerProgress(p.started.actor.getSnapshot()).connected).toBe(1);
  });

  it('serves only chunks of its manifests: a path or an unknown index is rejected, never read', async () => {
    const own = { name: 'own.bin', data: randomBytes(chunkSize + 1) };
    const p = await launch(root, 'p', own, { ...onMemory('127.0.0.1'), chunkSize });
    peers.push(p);
    const fake = await fakePeer(network, p.started.address);
    await fake.next('manifest');
    // Names outside the rule (`/etc/passwd`, `../own.bin`) cannot even be sent (§9.7, and a
    // receiver ends the connection: p2p/names.test.ts); names of files it does not serve can.
    fake.send({ type: 'request', name: 'passwd', index: 0 });
    fake.send({ type: 'request', name: 'other.bin', index: 0 });
    fake.send({ type: 'request', name: 'own.bin', index: 2 });
    fake.send({ type: 'request', name: 'own.bin', index: 1 });
    const chunk = await fake.next('chunk');
    expect(chunk).toMatchObject({ name: 'own.bin', index: 1 });
    expect(sha(Buffer.from(chunk.data))).toBe(sha(own.data.subarray(chunkSize)));
    const rejects = fake.received.filter((m) => m.type === 'reject');
    expect(rejects.map((r) => [r.name, r.index, r.code])).toEqual([
      ['passwd', 0, 'ERR_NO_CHUNK'],
      ['other.bin', 0, 'ERR_NO_CHUNK'],
      ['own.bin', 2, 'ERR_NO_CHUNK'],
    ]);
  });

  it('a silent peer is timed out and its requests go to another holder', async () => {
    const f = { name: 'f.bin', data: randomBytes(40 * chunkSize) };
    const g = { name: 'g.bin', data: randomBytes(chunkSize) };
    const opts = { expect: 2, chunkSize, timing: { stallTimeoutMs: 300 } };
    // The honest holder is slow enough (≈ 0.6 s for f) that the time-out, not the end
    // game, is what takes the silent peer's requests away.
    const ownerKey = hostileKey();
    const ownerIdentity = identityFromPrivateKey(ownerKey.privateKey);
    const honest = await launch(root, 'honest', f, {
      identity: ownerIdentity,
      ...onMemory('127.0.0.2'),
      ...opts,
      uploadLimit: 1024 * 1024,
    });
    const b = await launch(root, 'b', g, { ...onMemory('127.0.0.3'), ...opts });
    peers.push(honest, b);
    let requests = 0;
    // The silent peer says it holds f.bin, and names the honest holder only once asked: it
    // relays the holder's signed record (an unsigned entry alone is never dialed, §9.8).
    const silent = await fakePeer(network, b.started.address, { offers: ['f.bin'] }, (m, fake) => {
      if (m.type !== 'request') return;
      requests += 1;
      if (requests === 1) {
        const self = selectSelfEntry(honest.started.actor.getSnapshot());
        const record = signOwnRecord(ownerIdentity, self, Date.now());
        fake.send({ type: 'records', records: [recordToWire(record)] } as never);
        fake.send({
          type: 'peers',
          peers: [{ ...selectSelfEntry(honest.started.actor.getSnapshot()) }],
        });
      }
    });
    // It relays the owner's signed manifest (it cannot sign one for f.bin that counts).
    silent.send(manifestMessage('f.bin', f.data, ownerKey) as never);
    const sb = await b.started.done;
    expect(sb.error).toBeNull();
    expect(requests).toBeGreaterThan(0);
    expect(sb.outcome).toBe('done');
    const seen = sb.peers.find((p) => p.peerId === silent.peerId);
    expect(seen?.status).toBe('dead');
    expect(seen?.reason).toMatch(/^ERR_STALLED/);
    expect(await hashes(b.dir)).toEqual({ 'f.bin': sha(f.data), 'g.bin': sha(g.data) });
  });
});
