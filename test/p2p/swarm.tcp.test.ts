import net from 'node:net';
import { hashes, launch, peerWorld, randomBytes, sha } from './helpers';

const world = peerWorld();
const peers = world.peers;

describe('swarm over real TCP', () => {
  it('k = 5 peers, bootstrap naming only the first, all end with all five files identical', async () => {
    const k = 5;
    const files = Array.from({ length: k }, (_, i) => ({
      name: `file_${i}.bin`,
      data: randomBytes(100_000 + i * 7777),
    }));
    const first = await launch(world.root, 'p0', files[0]!, { expect: k, chunkSize: 16 * 1024 });
    peers.push(first);
    for (let i = 1; i < k; i++) {
      peers.push(
        await launch(world.root, `p${i}`, files[i]!, {
          expect: k,
          chunkSize: 16 * 1024,
          bootstrap: [first.started.address],
        }),
      );
    }
    const summaries = await Promise.all(peers.map((p) => p.started.done));
    const expected = Object.fromEntries(files.map((f) => [f.name, sha(f.data)]));
    for (const [i, summary] of summaries.entries()) {
      expect({ i, outcome: summary.outcome, error: summary.error }).toEqual({
        i,
        outcome: 'done',
        error: null,
      });
      expect(await hashes(peers[i]!.dir)).toEqual(expected);
    }
  });

  it('a bootstrap peer that starts late is still found (its address is tried again)', async () => {
    // Reserve a free port, release it, and start the bootstrap peer on it only later.
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(p));
      });
    });
    const a = { name: 'a.bin', data: randomBytes(50_000) };
    const b = { name: 'b.bin', data: randomBytes(60_000) };
    const early = await launch(world.root, 'early', b, {
      expect: 2,
      bootstrapRetryMs: 200,
      bootstrap: [{ host: '127.0.0.1', port }],
    });
    peers.push(early);
    await new Promise((r) => setTimeout(r, 700));
    const late = await launch(world.root, 'late', a, {
      expect: 2,
      listen: { host: '127.0.0.1', port },
    });
    peers.push(late);
    const [se, sl] = await Promise.all([early.started.done, late.started.done]);
    expect([se.outcome, sl.outcome]).toEqual(['done', 'done']);
    const expected = { 'a.bin': sha(a.data), 'b.bin': sha(b.data) };
    expect(await hashes(early.dir)).toEqual(expected);
    expect(await hashes(late.dir)).toEqual(expected);
  });
});
