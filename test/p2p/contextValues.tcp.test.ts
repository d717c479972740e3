import { Subject } from 'rxjs';
import { Actor, type AnyActorRef } from 'xstate';
import type { PeerSnapshot } from '../../src/actors/peer';
import { hashes, launch, peerWorld, randomBytes, sha, type TestPeer } from './helpers';

/**
 * Issue 8: a machine's snapshot is a value. Walks the context of every peer snapshot, and of
 * each of its transfers, over a real exchange on TCP: every field must be a primitive, a
 * plain object or array of such, bytes, or an actor reference — no class instance that
 * changes under the snapshot (swarm state, uploader, subjects, maps, sockets). The only
 * exceptions are the documented immutable handles below: settings, logger, transport and
 * the peer's identity (its key).
 */
const PEER_HANDLES = new Set(['config', 'logger']);
const TRANSFER_HANDLES = new Set(['logger', 'input.logger', 'input.transport', 'input.identity']);

/** Where `value` holds something other than a plain value (path and what it is). */
function impurities(value: unknown, handles: ReadonlySet<string>, path = ''): string[] {
  if (path !== '' && handles.has(path)) return [];
  if (value === null || value === undefined) return [];
  const kind = typeof value;
  if (kind === 'string' || kind === 'number' || kind === 'boolean' || kind === 'bigint') return [];
  if (kind === 'function') return [`${path}: function`];
  if (value instanceof Actor) return [];
  if (ArrayBuffer.isView(value)) return [];
  const at = (key: string | number) => (path === '' ? String(key) : `${path}.${key}`);
  if (Array.isArray(value)) return value.flatMap((item, i) => impurities(item, handles, at(i)));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null)
    return [`${path}: ${(value as object).constructor?.name ?? 'instance'}`];
  return Object.entries(value as object).flatMap(([key, item]) =>
    impurities(item, handles, at(key)),
  );
}

const world = peerWorld();
const peers = world.peers;

describe('snapshots are values', () => {
  it('the walk finds live objects where there are some', () => {
    expect(impurities({ a: { files: new Map() } }, PEER_HANDLES)).toEqual(['a.files: Map']);
    expect(impurities({ chunks: [new Subject()] }, PEER_HANDLES)).toEqual(['chunks.0: Subject']);
    expect(impurities({ f: () => 1, config: new Map() }, PEER_HANDLES)).toEqual(['f: function']);
  });

  it('a peer and its transfers hold only plain values in context, all through an exchange over TCP', async () => {
    const a = { name: 'a.bin', data: randomBytes(300_000) };
    const b = { name: 'b.bin', data: randomBytes(200_000) };
    const found = new Set<string>();
    let peerSnapshots = 0;
    let tradingSnapshots = 0;
    const watch = (p: TestPeer) => {
      const check = (snapshot: PeerSnapshot) => {
        peerSnapshots += 1;
        for (const f of impurities(snapshot.context, PEER_HANDLES)) found.add(`peer ${f}`);
        for (const child of Object.values(snapshot.children) as AnyActorRef[]) {
          if (!child || child.id === 'keeper') continue;
          const s = child.getSnapshot();
          if (s.context?.stage === 'trading') tradingSnapshots += 1;
          for (const f of impurities(s.context, TRANSFER_HANDLES)) found.add(`transfer ${f}`);
        }
      };
      check(p.started.actor.getSnapshot());
      p.started.actor.subscribe({ next: check, error: () => undefined });
    };
    const first = await launch(world.root, 'a', a, { expect: 2, chunkSize: 16 * 1024 });
    peers.push(first);
    watch(first);
    const second = await launch(world.root, 'b', b, {
      expect: 2,
      chunkSize: 16 * 1024,
      bootstrap: [first.started.address],
    });
    peers.push(second);
    watch(second);
    const summaries = await Promise.all(peers.map((p) => p.started.done));
    expect(summaries.map((s) => s.outcome)).toEqual(['done', 'done']);
    const expected = { 'a.bin': sha(a.data), 'b.bin': sha(b.data) };
    expect(await hashes(first.dir)).toEqual(expected);
    expect(await hashes(second.dir)).toEqual(expected);
    // The walk saw the exchange: many peer snapshots, transfers while they traded, and the
    // view filled in (both files held, the other peer known).
    expect(peerSnapshots).toBeGreaterThan(20);
    expect(tradingSnapshots).toBeGreaterThan(0);
    for (const p of peers) {
      const { view } = p.started.actor.getSnapshot().context;
      expect(Object.entries(view.files).sort()).toEqual([
        ['a.bin', { state: 'complete' }],
        ['b.bin', { state: 'complete' }],
      ]);
      expect(view.members).toHaveLength(1);
    }
    expect([...found]).toEqual([]);
  });
});
