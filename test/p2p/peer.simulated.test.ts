/**
 * The peer machine under a simulated clock (XState's SimulatedClock) with injected randomness,
 * on an in-memory network: time only moves when the test moves it, so give-up, linger and
 * leave are decided by the machine's own timers, and the test can count the timers left.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SimulatedClock } from 'xstate';
import {
  createPeerContext,
  type KeeperRef,
  type PeerInput,
  planDials,
  selectPeerCompleteAt,
  selectPeerProgress,
} from '../../src/actors/peer';
import type { PeerSummary } from '../../src/p2p/peerSummary';
import { simulatedClock } from '../../src/time';
import { createMemoryNetwork, type MemoryNetwork } from '../../src/transport';
import { settle } from '../helpers/simulation';
import { until } from '../helpers/until';
import { launch, randomBytes, rm, type TestPeer, tempDir } from './helpers';

/** A simulated clock that knows which of its timers are still armed. */
function countedTime() {
  const sim = new SimulatedClock();
  const live = new Set<unknown>();
  const timers = {
    now: () => sim.now(),
    setTimeout: (fn: () => void, ms: number) => {
      const handle: unknown = sim.setTimeout(() => {
        live.delete(handle);
        fn();
      }, ms);
      live.add(handle);
      return handle;
    },
    clearTimeout: (handle: unknown) => {
      live.delete(handle);
      sim.clearTimeout(handle as never);
    },
  };
  return { sim, clock: simulatedClock(timers), live };
}

/**
 * A peer's context with `count` vouched, unknown members on loopback (p0, p1, …) in its view,
 * for the dial plan, which reads the context only: no keeper runs here.
 */
function contextWithMembers(count: number, input: Partial<PeerInput>) {
  const context = createPeerContext(
    {
      transport: createMemoryNetwork(),
      listen: { host: '127.0.0.1', port: 0 },
      files: [],
      dir: root,
      ...input,
    },
    () => ({}) as KeeperRef,
  );
  context.view = {
    ...context.view,
    members: Array.from({ length: count }, (_, i) => ({
      entry: {
        peerId: `p${i}`,
        host: '127.0.0.1',
        port: 1000 + i,
        seq: 1,
        complete: false,
        offers: [],
      },
      status: 'unknown' as const,
      busyUntil: 0,
      vouched: true,
    })),
  };
  return context;
}

/** A seeded source of numbers in [0, 1) (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let root: string;
let network: MemoryNetwork;
const peers: TestPeer[] = [];
beforeEach(async () => {
  root = await tempDir();
  network = createMemoryNetwork();
});
afterEach(async () => {
  for (const p of peers.splice(0)) {
    if (p.started.actor.getSnapshot().status === 'active')
      p.started.actor.send({ type: 'peer.stop', reason: 'test over' });
  }
  await rm(root, { recursive: true, force: true });
});

/** Moves simulated time in 10 ms steps, letting real I/O run, until every peer ended (bounded). */
async function runUntilEnded(
  sim: SimulatedClock,
  started: TestPeer[],
  limitMs: number,
): Promise<PeerSummary[]> {
  const ended = () => started.every((p) => p.started.actor.getSnapshot().status !== 'active');
  for (let t = 0; t < limitMs && !ended(); t += 10) {
    sim.increment(10);
    await settle(2);
  }
  expect(ended()).toBe(true);
  return Promise.all(started.map((p) => p.started.done));
}

describe('peer machine under a simulated clock', () => {
  it.each([
    ['without expect', {}],
    ['with expect', { expect: 2 }],
  ])('two peers exchange, end done, and leave no timer armed (%s)', async (_label, extra) => {
    const { sim, clock, live } = countedTime();
    const common = {
      transport: network,
      clock,
      random: seeded(7),
      lingerMs: 1000,
      ...extra,
    };
    const a = await launch(
      root,
      'a',
      { name: 'a.bin', data: randomBytes(40_000) },
      {
        ...common,
        listen: { host: '127.0.0.1', port: 0 },
      },
    );
    peers.push(a);
    const b = await launch(
      root,
      'b',
      { name: 'b.bin', data: randomBytes(30_000) },
      {
        ...common,
        listen: { host: '127.0.0.2', port: 0 },
        bootstrap: [a.started.address],
      },
    );
    peers.push(b);
    // Nothing in the exchange waits on a timer: with time standing still, both complete.
    await until(() =>
      [a, b].every((p) => selectPeerCompleteAt(p.started.actor.getSnapshot()) !== null),
    );
    const summaries = await runUntilEnded(sim, [a, b], 60_000);
    expect(summaries.map((s) => [s.outcome, s.error])).toEqual([
      ['done', null],
      ['done', null],
    ]);
    expect(await readFile(join(a.dir, 'b.bin'))).toEqual(b.data);
    expect(await readFile(join(b.dir, 'a.bin'))).toEqual(a.data);
    // The ticker, the delays and the transfers' timers all went with the actors.
    expect(live.size).toBe(0);
  });

  it('gives up after giveUpAfterMs of simulated time with nothing moving, naming the file', async () => {
    const { sim, clock, live } = countedTime();
    const a = await launch(
      root,
      'a',
      { name: 'a.bin', data: randomBytes(10_000) },
      {
        transport: network,
        listen: { host: '127.0.0.1', port: 0 },
        clock,
        random: seeded(1),
        expect: 3,
        giveUpAfterMs: 2000,
      },
    );
    peers.push(a);
    const b = await launch(root, 'b', null, {
      transport: network,
      listen: { host: '127.0.0.2', port: 0 },
      clock,
      random: seeded(2),
      expect: 3,
      giveUpAfterMs: 2000,
      bootstrap: [a.started.address],
    });
    peers.push(b);
    // With time standing still, b receives a.bin; then only the give-up timers are left.
    await until(() => selectPeerProgress(b.started.actor.getSnapshot()).held === 1);
    const [sa, sb] = await runUntilEnded(sim, [a, b], 60_000);
    expect(sa!.error?.code).toBe('ERR_MISSING_FILES');
    expect(sb!.error?.code).toBe('ERR_MISSING_FILES');
    expect(sb!.files.map((f) => [f.name, f.state])).toEqual([['a.bin', 'complete']]);
    expect(sb!.missing.map((m) => m.name)).toEqual(['(2 unknown)']);
    expect(live.size).toBe(0);
  });

  it('dials gossiped peers in an order the injected randomness decides', () => {
    const order = (random: () => number) => {
      const context = contextWithMembers(20, { maxConnections: 64, dialBurst: 64, random });
      return planDials(context).dials.map((d) => d.peerId);
    };
    const first = order(seeded(42));
    expect(first).toHaveLength(20);
    expect(new Set(first).size).toBe(20);
    expect(order(seeded(42))).toEqual(first);
    expect(order(seeded(43))).not.toEqual(first);
  });

  it('dials learned addresses at a bounded rate (burst, then dials per second); bootstrap addresses are not held back', () => {
    const { sim, clock } = countedTime();
    const context = contextWithMembers(50, {
      maxConnections: 200,
      dialsPerSecond: 4,
      dialBurst: 8,
      bootstrap: Array.from({ length: 10 }, (_, i) => ({ host: '127.0.0.1', port: 2000 + i })),
      clock,
    });
    // Plans as the peer's ticker would, keeping the credit and leaving dialed members alone.
    const dialed = new Set<string>();
    const plan = () => {
      const { dials, bootstrap, dialCredit } = planDials(context);
      context.bootstrap = bootstrap;
      context.dialCredit = dialCredit;
      for (const d of dials) if (d.peerId) dialed.add(d.peerId);
      context.view = {
        ...context.view,
        members: context.view.members.filter((m) => !dialed.has(m.entry.peerId)),
      };
      return {
        learned: dials.filter((d) => d.bootstrap === null).length,
        user: dials.filter((d) => d.bootstrap !== null).length,
      };
    };
    // All ten of the user's addresses at once, and a burst of learned ones.
    expect(plan()).toEqual({ learned: 8, user: 10 });
    expect(plan()).toEqual({ learned: 0, user: 0 });
    sim.increment(250);
    expect(plan().learned).toBe(1);
    sim.increment(1000);
    expect(plan().learned).toBe(4);
    // A long quiet spell refills the bucket only up to the burst.
    sim.increment(60_000);
    expect(plan().learned).toBe(8);
    expect(dialed.size).toBe(21);
  });
});
