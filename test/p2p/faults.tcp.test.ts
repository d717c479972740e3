import { readdir } from 'node:fs/promises';
import { selectInbound, selectKnowsFile, selectMemberStatus } from '../../src/actors/peer';
import type { StartedPeer } from '../../src/runtime';
import {
  corruptingProxy,
  hashes,
  launch,
  randomBytes,
  rm,
  sha,
  type TestPeer,
  tempDir,
  until,
} from './helpers';

let root: string;
const peers: TestPeer[] = [];
const cleanups: Array<() => Promise<void>> = [];
beforeEach(async () => {
  root = await tempDir();
});
afterEach(async () => {
  for (const p of peers.splice(0)) {
    if (p.started.actor.getSnapshot().status === 'active') {
      p.started.actor.send({ type: 'peer.stop', reason: 'test over' });
    }
    await p.started.done.catch(() => undefined);
  }
  for (const c of cleanups.splice(0)) await c();
  await rm(root, { recursive: true, force: true });
});

/** Kills a peer the hard way: its actor stops, its sockets and listener close at once. */
function kill(peer: StartedPeer): void {
  peer.actor.stop();
}

const chunkSize = 16 * 1024;

describe('faults over real TCP', () => {
  it('a peer killed mid-transfer: the others finish from whoever else holds the chunks', async () => {
    const shared = { name: 'shared.bin', data: randomBytes(20 * chunkSize) };
    const other = { name: 'other.bin', data: randomBytes(6 * chunkSize + 123) };
    const slow = { chunkSize, expect: 2, uploadLimit: 400 * 1024 };
    const victim = await launch(root, 'victim', shared, slow);
    const twin = await launch(root, 'twin', shared, {
      ...slow,
      bootstrap: [victim.started.address],
    });
    const a = await launch(root, 'a', other, { ...slow, bootstrap: [victim.started.address] });
    const b = await launch(root, 'b', null, { ...slow, bootstrap: [victim.started.address] });
    peers.push(twin, a, b);
    // Kill the victim once the others are trading and some of the shared file has moved.
    await until(b.started.actor, (s) => (selectInbound(s, 'shared.bin')?.chunks ?? 0) >= 2);
    kill(victim.started);
    const summaries = await Promise.all([twin, a, b].map((p) => p.started.done));
    const expected = { 'other.bin': sha(other.data), 'shared.bin': sha(shared.data) };
    for (const [i, s] of summaries.entries()) {
      expect({ i, outcome: s.outcome, error: s.error }).toEqual({
        i,
        outcome: 'done',
        error: null,
      });
    }
    for (const p of [twin, a, b]) expect(await hashes(p.dir)).toEqual(expected);
    const seen = summaries[2]!.peers.find((m) => m.peerId === victim.started.peerId);
    expect(seen?.status).toBe('dead');
  });

  it('a file whose only holder died is reported missing by name, with why', async () => {
    const f0 = { name: 'kept.bin', data: randomBytes(3 * chunkSize) };
    const lost = { name: 'lost.bin', data: randomBytes(8 * chunkSize) };
    const common = { chunkSize, expect: 2, giveUpAfterMs: 800 };
    const keeper = await launch(root, 'keeper', f0, common);
    // The holder serves 1 KiB/s: nobody can get its whole file before it dies.
    const holder = await launch(root, 'holder', lost, {
      ...common,
      uploadLimit: 1024,
      bootstrap: [keeper.started.address],
    });
    const other = await launch(root, 'other', null, {
      ...common,
      bootstrap: [keeper.started.address],
    });
    peers.push(keeper, other);
    await until(
      other.started.actor,
      (s) => selectKnowsFile(s, 'lost.bin') && selectKnowsFile(s, 'kept.bin'),
    );
    await until(keeper.started.actor, (s) => selectKnowsFile(s, 'lost.bin'));
    kill(holder.started);
    for (const p of [keeper, other]) {
      const summary = await p.started.done;
      expect(summary.outcome).toBe('failed');
      expect(summary.error?.code).toBe('ERR_MISSING_FILES');
      expect(summary.missing.map((m) => m.name)).toEqual(['lost.bin']);
      expect(summary.missing[0]!.reason).toMatch(/no live peer holds/);
      expect(summary.files.find((f) => f.name === 'kept.bin')?.state).toBe('complete');
    }
    // Nothing half-received ever appears under the final name.
    expect((await readdir(other.dir)).filter((n) => !n.startsWith('.'))).toEqual(['kept.bin']);
  });

  it('a corrupted chunk is detected by its hash and fetched again', async () => {
    const f = { name: 'f.bin', data: randomBytes(10 * chunkSize + 77) };
    const g = { name: 'g.bin', data: randomBytes(2 * chunkSize) };
    // A is reached through a proxy that flips a bit in the first chunk it forwards.
    const proxy = await corruptingProxy((n) => n === 0);
    cleanups.push(proxy.close);
    const a2 = await launch(root, 'a', f, {
      chunkSize,
      expect: 2,
      advertise: { host: '127.0.0.1', port: proxy.port },
    });
    Object.assign(proxy.target, a2.started.address);
    const b = await launch(root, 'b', g, {
      chunkSize,
      expect: 2,
      bootstrap: [{ host: '127.0.0.1', port: proxy.port }],
    });
    peers.push(a2, b);
    const [sa, sb] = await Promise.all([a2.started.done, b.started.done]);
    expect(proxy.corrupted()).toBe(1);
    expect(sb.chunks.bad).toBe(1);
    expect(sb.banned).toEqual([]);
    expect([sa.outcome, sb.outcome]).toEqual(['done', 'done']);
    expect(await hashes(b.dir)).toEqual({ 'f.bin': sha(f.data), 'g.bin': sha(g.data) });
  });

  it('a peer that keeps sending bad chunks is cut off; the file comes from another holder', async () => {
    const f = { name: 'f.bin', data: randomBytes(8 * chunkSize) };
    const g = { name: 'g.bin', data: randomBytes(2 * chunkSize) };
    const opts = { chunkSize, expect: 2, maxBadChunks: 2, giveUpAfterMs: 10_000 };
    const proxy = await corruptingProxy(() => true);
    cleanups.push(proxy.close);
    const liar = await launch(root, 'liar', f, {
      ...opts,
      advertise: { host: '127.0.0.1', port: proxy.port },
    });
    Object.assign(proxy.target, liar.started.address);
    const b = await launch(root, 'b', g, {
      ...opts,
      bootstrap: [{ host: '127.0.0.1', port: proxy.port }],
    });
    peers.push(liar, b);
    // Only once b has cut the liar off does an honest holder of f appear.
    await until(b.started.actor, (s) => selectMemberStatus(s, liar.started.peerId) === 'banned');
    const honest = await launch(root, 'honest', f, { ...opts, bootstrap: [b.started.address] });
    peers.push(honest);
    const sb = await b.started.done;
    expect(sb.outcome).toBe('done');
    expect(sb.banned).toEqual([liar.started.peerId]);
    expect(sb.chunks.bad).toBeGreaterThanOrEqual(2);
    expect(sb.peers.find((p) => p.peerId === liar.started.peerId)?.reason).toMatch(
      /^ERR_BAD_CHUNKS/,
    );
    expect(await hashes(b.dir)).toEqual({ 'f.bin': sha(f.data), 'g.bin': sha(g.data) });
  });

  it('zero-byte file, size not a multiple of the chunk size, two peers with identical content', async () => {
    const empty = { name: 'empty.txt', data: Buffer.alloc(0) };
    const odd = { name: 'odd.bin', data: randomBytes(3 * chunkSize + 5) };
    const same = { name: 'same.bin', data: randomBytes(5 * chunkSize) };
    const opts = { chunkSize, expect: 3 };
    const p0 = await launch(root, 'p0', empty, opts);
    peers.push(p0);
    peers.push(await launch(root, 'p1', odd, { ...opts, bootstrap: [p0.started.address] }));
    peers.push(await launch(root, 'p2', same, { ...opts, bootstrap: [p0.started.address] }));
    peers.push(await launch(root, 'p3', same, { ...opts, bootstrap: [p0.started.address] }));
    const summaries = await Promise.all(peers.map((p) => p.started.done));
    const expected = {
      'empty.txt': sha(empty.data),
      'odd.bin': sha(odd.data),
      'same.bin': sha(same.data),
    };
    for (const [i, s] of summaries.entries()) {
      expect({ i, outcome: s.outcome }).toEqual({ i, outcome: 'done' });
      expect(await hashes(peers[i]!.dir)).toEqual(expected);
    }
    // The twins each hold same.bin already: neither fetches it.
    expect(summaries[2]!.received.find((r) => r.name === 'same.bin')).toBeUndefined();
    expect(summaries[3]!.received.find((r) => r.name === 'same.bin')).toBeUndefined();
  });

  it('exits with the unreachable bootstrap named when no peer is ever reached', async () => {
    const lonely = await launch(
      root,
      'lonely',
      { name: 'x.bin', data: randomBytes(100) },
      {
        expect: 2,
        discoveryTimeoutMs: 600,
        bootstrap: [{ host: '127.0.0.1', port: 1 }],
      },
    );
    peers.push(lonely);
    const summary = await lonely.started.done;
    expect(summary.error?.code).toBe('ERR_NO_PEERS');
    expect(['failed', 'dialing']).toContain(summary.bootstrap[0]?.state);
    expect(summary.bootstrap[0]?.reason).toMatch(/ECONNREFUSED/);
  });

  it('a restarted peer keeps the chunks it verified and fetches only the rest', async () => {
    const f = { name: 'f.bin', data: randomBytes(40 * chunkSize) };
    const g = { name: 'g.bin', data: randomBytes(chunkSize) };
    // The source waits for a third file that never comes, so it stays up while its peer restarts.
    const source = await launch(root, 'source', f, {
      chunkSize,
      expect: 3,
      uploadLimit: 600 * 1024,
      giveUpAfterMs: 20_000,
    });
    peers.push(source);
    const first = await launch(root, 'receiver', g, {
      chunkSize,
      expect: 2,
      bootstrap: [source.started.address],
    });
    await until(first.started.actor, (s) => (selectInbound(s, 'f.bin')?.chunks ?? 0) >= 10);
    kill(first.started);
    await new Promise((r) => setTimeout(r, 100));
    // Same folder, same files: the part file is re-verified, only the missing chunks are fetched.
    const again = await launch(root, 'receiver', g, {
      chunkSize,
      expect: 2,
      lingerMs: 300,
      bootstrap: [source.started.address],
    });
    peers.push(again);
    const summary = await again.started.done;
    expect(summary.error).toBeNull();
    const fetched = summary.received.find((r) => r.name === 'f.bin')?.chunks ?? 0;
    expect(fetched).toBeGreaterThan(0);
    expect(fetched).toBeLessThanOrEqual(30);
    expect(await hashes(again.dir)).toEqual({ 'f.bin': sha(f.data), 'g.bin': sha(g.data) });
  });
});
