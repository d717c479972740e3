/**
 * Issue 9, quotas and disk, in process over real TCP: the attacker is a raw-bytes peer
 * (test/helpers/hostilePeer.ts); the victim's free disk is a statfs stub (`freeSpace`), so
 * a 32 GiB manifest meets a 64 MiB disk without any real mount.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { hostileKey, manifestMessage } from '../helpers/hostileCrypto';
import { HostilePeer } from '../helpers/hostilePeer';
import { hostileWorld, launch, randomBytes, sha } from './helpers';

const world = hostileWorld();

describe('quotas and disk (real TCP, raw bytes, statfs stub)', () => {
  it('a valid 32 GiB manifest on a 64 MiB disk: ERR_NO_SPACE for that name, no .part, the rest done', async () => {
    const probed: string[] = [];
    const v = await launch(
      world.root,
      'victim',
      { name: 'v.bin', data: randomBytes(10_000) },
      {
        freeSpace: async (dir) => {
          probed.push(dir);
          return 64 * 1024 ** 2;
        },
        quotas: { diskReserveBytes: 1024 * 1024 },
      },
    );
    world.peers.push(v);
    const socket = await HostilePeer.connect(v.started.address.host, v.started.address.port);
    world.sockets.push(socket);
    const key = hostileKey();
    const { outcome } = await socket.handshake({ role: 'dialer', key });
    expect(outcome?.type).not.toBe('bye');
    const chunk = Buffer.alloc(1024 * 1024);
    const hash = Buffer.from(sha(chunk), 'hex');
    socket.send(
      manifestMessage(
        key,
        {
          name: 'big.bin',
          size: 32 * 1024 ** 3,
          sha256: nodeRandomBytes(32),
          chunkSize: 1024 * 1024,
          chunkHashes: Buffer.concat(Array.from({ length: 32 * 1024 }, () => hash)),
        },
        { have: Buffer.alloc(4096, 0xff) },
      ),
    );
    const summary = await v.started.done;
    socket.close();
    expect(probed.length).toBeGreaterThan(0);
    expect(summary.outcome).toBe('failed');
    expect(summary.missing).toEqual([
      expect.objectContaining({
        name: 'big.bin',
        reason: expect.stringMatching(/^ERR_NO_SPACE: /),
      }),
    ]);
    expect((await readdir(v.dir)).filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('a flood of manifests from one sender stops at its quota (ERR_QUOTA), the rest ignored', async () => {
    const v = await launch(
      world.root,
      'victim',
      { name: 'v.bin', data: randomBytes(10_000) },
      { quotas: { maxManifestsPerPeer: 3 } },
    );
    world.peers.push(v);
    const socket = await HostilePeer.connect(v.started.address.host, v.started.address.port);
    world.sockets.push(socket);
    const key = hostileKey();
    await socket.handshake({ role: 'dialer', key });
    for (let i = 0; i < 20; i++) {
      const data = randomBytes(100);
      socket.send(
        manifestMessage(key, {
          name: `f${i}.bin`,
          size: data.length,
          sha256: Buffer.from(sha(data), 'hex'),
          chunkSize: 1024,
          chunkHashes: Buffer.from(sha(data), 'hex'),
        }),
      );
    }
    const summary = await v.started.done;
    socket.close();
    // Three were accepted (and cannot be fetched: never served); seventeen were ignored.
    expect(summary.missing.map((m) => m.name).sort()).toEqual(['f0.bin', 'f1.bin', 'f2.bin']);
    // Their `.part`s held no verified chunk: nothing to resume, so none is left behind.
    expect((await readdir(v.dir)).filter((f) => f.endsWith('.part'))).toEqual([]);
  });
});
