/**
 * Signed peer records (docs/protocol-p2p.md §9.5, §9.8): peers that were only given the first
 * peer's address still meet each other, because each one's address reaches the others in a
 * record it signed itself — also when they listen on a wildcard (the record then names the
 * IPs their connections' local ends showed).
 */
import { hashes, launch, peerWorld, randomBytes, sha } from './helpers';

const world = peerWorld();
const peers = world.peers;

describe.each([
  ['127.0.0.1', 'an IP literal'],
  ['0.0.0.0', 'a wildcard'],
])('records, listening on %s (%s)', (host) => {
  it('peers given only the first address meet each other (the mesh is not a star)', async () => {
    const k = 4;
    const files = Array.from({ length: k }, (_, i) => ({
      name: `file_${i}.bin`,
      data: randomBytes(60_000 + i * 999),
    }));
    const opts = { expect: k, chunkSize: 8 * 1024, listen: { host, port: 0 } };
    const first = await launch(world.root, 'p0', files[0]!, opts);
    peers.push(first);
    const bootstrap = [{ host: '127.0.0.1', port: first.started.address.port }];
    for (let i = 1; i < k; i++)
      peers.push(await launch(world.root, `p${i}`, files[i]!, { ...opts, bootstrap }));
    const summaries = await Promise.all(peers.map((p) => p.started.done));
    const expected = Object.fromEntries(files.map((f) => [f.name, sha(f.data)]));
    for (const [i, s] of summaries.entries()) {
      expect({ i, outcome: s.outcome, error: s.error }).toEqual({
        i,
        outcome: 'done',
        error: null,
      });
      expect(await hashes(peers[i]!.dir)).toEqual(expected);
    }
    // Some peer other than the first received chunks from another one that is not the first
    // either: it could only have reached it through that peer's own signed record (or that
    // peer dialed it, having its record).
    const firstId = summaries[0]!.peerId;
    const met = summaries
      .slice(1)
      .flatMap((s) => s.received.flatMap((r) => r.from.filter((id) => id !== firstId)));
    expect(met.length).toBeGreaterThan(0);
  });
});
