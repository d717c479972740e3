import fc from 'fast-check';
import { ChunkScheduler } from '../../src/p2p/scheduler';
import { Bitfield } from '../../src/storage/bitfield';

/** A seeded generator, so tie-breaks are reproducible. */
function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const bits = (size: number, indices: number[]) => {
  const b = new Bitfield(size);
  for (const i of indices) b.set(i);
  return b;
};
const all = (size: number) => Bitfield.full(size);

describe('chunk scheduler', () => {
  it('asks for the rarest chunk first', () => {
    const s = new ChunkScheduler({ maxInFlightPerPeer: 1, random: seeded(1) });
    s.addFile('f', 4, new Bitfield(4));
    s.setPeerFile('a', 'f', 4, all(4));
    s.setPeerFile('b', 'f', 4, bits(4, [0, 1, 2]));
    s.setPeerFile('c', 'f', 4, bits(4, [0, 1]));
    // Chunk 3 is held by a alone, chunk 2 by a and b: those go first.
    const first = s.next(0);
    expect(first.find((r) => r.peer === 'a')?.index).toBe(3);
    expect(first.find((r) => r.peer === 'b')?.index).toBe(2);
    expect(first.find((r) => r.peer === 'c')?.index).toBeLessThan(2);
  });

  it('spreads requests for one file across every holder, within the per-peer bound', () => {
    const s = new ChunkScheduler({ maxInFlightPerPeer: 2, random: seeded(2) });
    s.addFile('f', 20, new Bitfield(20));
    for (const p of ['a', 'b', 'c']) s.setPeerFile(p, 'f', 20, all(20));
    const out = s.next(0);
    expect(out).toHaveLength(6);
    for (const p of ['a', 'b', 'c']) expect(out.filter((r) => r.peer === p)).toHaveLength(2);
    expect(new Set(out.map((r) => r.index)).size).toBe(6);
  });

  it('bounds the total number of requests in flight', () => {
    const s = new ChunkScheduler({ maxInFlightPerPeer: 4, maxInFlightTotal: 5, random: seeded(3) });
    s.addFile('f', 50, new Bitfield(50));
    for (const p of ['a', 'b', 'c']) s.setPeerFile(p, 'f', 50, all(50));
    expect(s.next(0)).toHaveLength(5);
    expect(s.inFlight()).toBe(5);
  });

  it('reassigns the requests of a peer that is gone', () => {
    const s = new ChunkScheduler({ maxInFlightPerPeer: 2, random: seeded(4) });
    s.addFile('f', 4, new Bitfield(4));
    s.setPeerFile('a', 'f', 4, all(4));
    const asked = s.next(0).map((r) => r.index);
    expect(asked).toHaveLength(2);
    s.setPeerFile('b', 'f', 4, all(4));
    s.next(0);
    expect(
      s
        .removePeer('a')
        .map((r) => r.index)
        .sort(),
    ).toEqual(asked.sort());
    const again = s.next(1);
    expect(again.every((r) => r.peer === 'b')).toBe(true);
    expect(s.inFlight('b')).toBe(2);
  });

  it('does not ask a peer that sent a bad copy again while another holder has the chunk', () => {
    const s = new ChunkScheduler({ maxInFlightPerPeer: 1, random: seeded(5) });
    s.addFile('f', 1, new Bitfield(1));
    s.setPeerFile('liar', 'f', 1, all(1));
    expect(s.next(0)).toEqual([{ peer: 'liar', file: 'f', index: 0, endgame: false }]);
    s.failed('liar', 'f', 0);
    s.setPeerFile('honest', 'f', 1, all(1));
    expect(s.next(1)).toEqual([{ peer: 'honest', file: 'f', index: 0, endgame: false }]);
  });

  it('asks a peer that sent a bad copy again when nobody else has the chunk', () => {
    const s = new ChunkScheduler({ maxInFlightPerPeer: 1, random: seeded(6) });
    s.addFile('f', 1, new Bitfield(1));
    s.setPeerFile('only', 'f', 1, all(1));
    s.next(0);
    s.failed('only', 'f', 0);
    expect(s.next(1)).toEqual([{ peer: 'only', file: 'f', index: 0, endgame: false }]);
  });

  it('end game: a request outstanding too long is duplicated to an idle holder, and the copy cancels it', () => {
    const s = new ChunkScheduler({
      maxInFlightPerPeer: 1,
      minEndgameAgeMs: 100,
      random: seeded(7),
    });
    s.addFile('f', 2, new Bitfield(2));
    s.setPeerFile('slow', 'f', 2, all(2));
    s.setPeerFile('fast', 'f', 2, all(2));
    const first = s.next(0);
    expect(first).toHaveLength(2);
    const slowIndex = first.find((r) => r.peer === 'slow')!.index;
    const fastIndex = first.find((r) => r.peer === 'fast')!.index;
    expect(s.received('f', fastIndex, 10, 'fast')).toEqual([]);
    // Every missing chunk is asked for, but not for long enough: nothing is duplicated yet.
    expect(s.inEndgame()).toBe(true);
    expect(s.next(20)).toEqual([]);
    const late = s.next(200);
    expect(late).toEqual([{ peer: 'fast', file: 'f', index: slowIndex, endgame: true }]);
    // The fast copy arrives first: the slow request is to be cancelled.
    expect(s.received('f', slowIndex, 210, 'fast')).toEqual([
      { peer: 'slow', file: 'f', index: slowIndex },
    ]);
    expect(s.missing('f')).toBe(0);
    expect(s.inFlight()).toBe(0);
  });

  it('reports chunks no connected peer holds', () => {
    const s = new ChunkScheduler();
    s.addFile('f', 3, new Bitfield(3));
    s.setPeerFile('a', 'f', 3, bits(3, [0]));
    expect(s.unavailable()).toEqual(new Map([['f', 2]]));
    s.removePeer('a');
    expect(s.unavailable()).toEqual(new Map([['f', 3]]));
  });

  it('property: whatever the holders, every chunk is fetched, and never twice outside the end game', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer(),
        (peers, chunks, perPeer, seed) => {
          const random = seeded(seed);
          const s = new ChunkScheduler({ maxInFlightPerPeer: perPeer, random, minEndgameAgeMs: 5 });
          s.addFile('f', chunks, new Bitfield(chunks));
          // Every chunk has at least one holder; other holders at random.
          for (let p = 0; p < peers; p++) {
            const held = [];
            for (let i = 0; i < chunks; i++) if (i % peers === p || random() < 0.4) held.push(i);
            s.setPeerFile(`p${p}`, 'f', chunks, bits(chunks, held));
          }
          const fetched = new Map<number, number>();
          const outstanding: Array<{ peer: string; index: number; endgame: boolean }> = [];
          let now = 0;
          for (let step = 0; step < 10_000 && s.missing('f')! > 0; step++) {
            now += 1;
            for (const r of s.next(now)) {
              expect(r.endgame || !outstanding.some((o) => o.index === r.index)).toBe(true);
              expect(s.inFlight(r.peer)).toBeLessThanOrEqual(perPeer);
              outstanding.push(r);
            }
            // Answer one request, chosen at random; a cancelled duplicate may still arrive.
            if (outstanding.length === 0) continue;
            const [answer] = outstanding.splice(Math.floor(random() * outstanding.length), 1);
            if (!s.isRequested(answer!.peer, 'f', answer!.index)) continue;
            fetched.set(answer!.index, (fetched.get(answer!.index) ?? 0) + 1);
            for (const c of s.received('f', answer!.index, now, answer!.peer)) {
              const at = outstanding.findIndex((o) => o.peer === c.peer && o.index === c.index);
              if (at >= 0) outstanding.splice(at, 1);
              s.released(c.peer, 'f', c.index);
            }
          }
          expect(s.missing('f')).toBe(0);
          expect([...fetched.values()].every((n) => n === 1)).toBe(true);
          expect(fetched.size).toBe(chunks);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('property: availability always equals the number of peers announcing each chunk', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant('set' as const),
              peer: fc.nat(3),
              held: fc.array(fc.nat(9)),
            }),
            fc.record({ op: fc.constant('have' as const), peer: fc.nat(3), index: fc.nat(9) }),
            fc.record({ op: fc.constant('gone' as const), peer: fc.nat(3) }),
          ),
          { maxLength: 40 },
        ),
        (ops) => {
          const s = new ChunkScheduler();
          s.addFile('f', 10, new Bitfield(10));
          const model = new Map<number, Set<number>>();
          for (const op of ops) {
            if (op.op === 'set') {
              s.setPeerFile(`p${op.peer}`, 'f', 10, bits(10, op.held));
              model.set(op.peer, new Set(op.held));
            } else if (op.op === 'have') {
              // A `have` from a peer that never sent its manifest starts it off empty.
              s.peerHas(`p${op.peer}`, 'f', op.index);
              model.set(op.peer, (model.get(op.peer) ?? new Set()).add(op.index));
            } else {
              s.removePeer(`p${op.peer}`);
              model.delete(op.peer);
            }
          }
          for (let i = 0; i < 10; i++) {
            const expected = [...model.values()].filter((held) => held.has(i)).length;
            expect(s.availability('f', i)).toBe(expected);
          }
        },
      ),
    );
  });
});
