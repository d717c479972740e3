/**
 * Issue 9, "announcements cost the victim, not the attacker": 300 signed manifests with 1 MiB
 * of chunk hashes each, and one valid 32 GiB manifest against a disk smaller than that.
 * Victims are real `timeswarm share` processes; the attacker speaks raw v2 bytes.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { mkdtemp, readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { hostileKey, manifestMessage } from '../helpers/hostileCrypto';
import { HostilePeer } from '../helpers/hostilePeer';
import {
  acceptVictim,
  attackWorld,
  ending,
  expectExit,
  held,
  ownEntry,
  parts,
  sha,
  startVictim,
  type Victim,
} from './attacks/support';
import { randomBytes, rm } from './helpers';

const world = attackWorld();

/** Peak resident memory of a live process, in bytes (Linux /proc). */
async function peakRss(v: Victim): Promise<number> {
  const status = await readFile(`/proc/${v.proc.child.pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)![1]) * 1024;
}

/** Resolves when the socket's send buffer drained, or it closed (each listener removed after). */
function drained(peer: HostilePeer): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      peer.socket.off('drain', done);
      peer.socket.off('close', done);
      resolve();
    };
    peer.socket.on('drain', done);
    peer.socket.on('close', done);
  });
}

describe('announcement quotas (real processes, raw v2 attacker)', () => {
  // The caps of §9.11: the attacker's (and its owner's) quota holds two such manifests; the
  // other 298 are ignored (`ERR_QUOTA`), so the victim forwards only two to its neighbour,
  // and peaks stay ~150 MiB (issue 9 saw 1.2 GB). The neighbour never dials the attacker:
  // it only heard of its address in gossip, with no record signed by the attacker (§9.8).
  it('300 manifests × 1 MiB of hashes: the victim, its neighbour and a newcomer stay small and exchange their own files', async () => {
    const listener = await HostilePeer.listen();
    world.closers.push(() => listener.close());
    const attacker = hostileKey();
    const data = { v: randomBytes(4000), n: randomBytes(4000), c: randomBytes(4000) };
    const victim = await startVictim(world.root, 'victim', {
      host: '127.0.0.2',
      files: [{ name: 'v.bin', data: data.v }],
      args: ['--peers', `127.0.0.1:${listener.port}`],
      linger: '6s',
      // Ignored manifests are no progress: long enough for the flood to be read whole, and
      // for the newcomer to come after it.
      giveUp: '20s',
    });
    // The honest neighbour is connected to the victim before the bomb: it only ever gets
    // what the victim forwards.
    const neighbour = await startVictim(world.root, 'neighbour', {
      host: '127.0.0.3',
      files: [{ name: 'n.bin', data: data.n }],
      args: ['--peers', victim.address],
      linger: '6s',
      giveUp: '20s',
    });
    const peaks = new Map<Victim, number>();
    const sample = setInterval(() => {
      for (const v of [victim, neighbour, ...newcomers]) {
        void peakRss(v)
          .then((bytes) => peaks.set(v, Math.max(peaks.get(v) ?? 0, bytes)))
          .catch(() => undefined);
      }
    }, 100);
    const newcomers: Victim[] = [];
    world.closers.push(() => clearInterval(sample));
    // The attacker greets as the protocol says (its own entry ends its greeting, §8.5), so it
    // is not cut off for a greeting that never ends (ERR_HANDSHAKE_TIMEOUT) and the whole
    // flood is read.
    const socket = await acceptVictim(listener, attacker, [
      {
        type: 'peers',
        peers: [ownEntry(attacker, listener.port, false)],
      },
    ]);
    // 32,768 chunk hashes (1 MiB) per manifest, 1 KiB chunks: 32 MiB announced each.
    const hashes = nodeRandomBytes(32 * 32_768);
    let sent = 0;
    // Bounded in time too: a victim that cannot keep up is itself the finding.
    const sendUntil = Date.now() + 25_000;
    for (; sent < 300 && !socket.socket.destroyed && Date.now() < sendUntil; sent++) {
      socket.send(
        manifestMessage(attacker, {
          name: `bomb-${sent}.bin`,
          size: 32_768 * 1024,
          sha256: nodeRandomBytes(32),
          chunkSize: 1024,
          chunkHashes: hashes,
        }),
      );
      // Backpressure: the attacker's own memory stays bounded too.
      if (socket.socket.writableLength > 8 * 1024 * 1024) await drained(socket);
    }
    // A newcomer after the bomb is greeted, not cut off (§9.10).
    const newcomer = await startVictim(world.root, 'newcomer', {
      host: '127.0.0.4',
      files: [{ name: 'c.bin', data: data.c }],
      args: ['--peers', victim.address],
      linger: '6s',
      giveUp: '6s',
    });
    newcomers.push(newcomer);
    const settled = await Promise.allSettled(
      [victim, neighbour, newcomer].map((v) => ending(v.proc, 50_000)),
    );
    clearInterval(sample);
    const report = `sent ${sent}; peaks ${[victim, neighbour, newcomer].map((v) => `${v.label} ${Math.round((peaks.get(v) ?? 0) / 2 ** 20)} MiB`).join(', ')}`;
    const endings = settled.map((r, i) => {
      if (r.status === 'rejected')
        throw new Error(
          `${report}; ${['victim', 'neighbour', 'newcomer'][i]}: ${String(r.reason).slice(0, 1500)}`,
        );
      return r.value;
    });
    socket.close();
    const all = { 'c.bin': sha(data.c), 'n.bin': sha(data.n), 'v.bin': sha(data.v) };
    for (const [i, v] of [victim, neighbour, newcomer].entries()) {
      const e = endings[i]!;
      // Whatever else, an exit naming what is missing (2) or done (0), never a crash; and
      // what is missing is only the attacker's.
      if (e.code !== 0) expectExit(e, 2);
      for (const m of e.summary?.missing ?? []) expect(m.name).toMatch(/^bomb-\d+\.bin$/);
      expect(await held(v.dir)).toMatchObject(all);
      // Issue 9 saw 1.2 GB each; the caps (§9.11) hold 2 such manifests per peer.
      expect({ report, peak: (peaks.get(v) ?? 0) < 400 * 1024 * 1024 }).toMatchObject({
        peak: true,
      });
      // No sparse-file bomb: at most the two manifests the caps allow, 32 MiB each.
      const total = Object.values(await parts(v.dir)).reduce((a, b) => a + b, 0);
      expect(total).toBeLessThanOrEqual(2 * 32 * 1024 * 1024);
    }
    expect({ report, sent }).toMatchObject({ sent: 300 });
  }, 150_000);

  it('a valid 32 GiB manifest on a smaller disk: ERR_NO_SPACE for that name, no .part, exit 2', async () => {
    // A tmpfs smaller than 32 GiB (24 GiB here); the test states its precondition.
    const small = await mkdtemp('/dev/shm/timeswarm-attack-');
    world.closers.push(() => rm(small, { recursive: true, force: true }));
    const info = await statfs(small);
    expect(Number(info.bavail) * Number(info.bsize)).toBeLessThan(32 * 2 ** 30);
    const listener = await HostilePeer.listen();
    world.closers.push(() => listener.close());
    const attacker = hostileKey();
    const chunk = Buffer.alloc(1024 * 1024);
    const chunkHash = Buffer.from(sha(chunk), 'hex');
    const victim = await startVictim(world.root, 'victim', {
      host: '127.0.0.2',
      dir: join(small, 'victim'),
      files: [{ name: 'v.bin', data: randomBytes(2000) }],
      args: ['--peers', `127.0.0.1:${listener.port}`],
      linger: '2s',
      giveUp: '2s',
    });
    const socket = await acceptVictim(listener, attacker, [
      manifestMessage(
        attacker,
        {
          name: 'big.bin',
          size: 32 * 2 ** 30,
          sha256: nodeRandomBytes(32),
          chunkSize: 1024 * 1024,
          chunkHashes: Buffer.concat(Array.from({ length: 32_768 }, () => chunkHash)),
        },
        { have: Buffer.alloc(4096, 0xff) },
      ),
    ]);
    // It serves valid chunks if asked — at most 32 of them (32 MiB of this machine's RAM).
    let served = 0;
    const serving = (async () => {
      for (let i = 0; i < 10_000; i++) {
        const m = await socket.next(undefined, 60_000).catch(() => null);
        if (m === null) return;
        if (m.type === 'request' && served < 32) {
          served++;
          socket.send({ type: 'chunk', name: 'big.bin', index: m.index, data: chunk });
        }
      }
    })();
    const e = await ending(victim.proc);
    socket.close();
    await serving;
    expect(served).toBe(0);
    expect(await parts(victim.dir)).toEqual({});
    expectExit(e, 2);
    expect(e.summary?.missing).toEqual([
      expect.objectContaining({ name: 'big.bin', reason: expect.stringMatching(/ERR_NO_SPACE/) }),
    ]);
  });
});
