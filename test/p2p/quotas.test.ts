import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { generateIdentity } from '../../src/p2p/identity';
import {
  AnnouncementQuotas,
  DEFAULT_QUOTAS,
  memoryBoundPerPeer,
  type QuotaConfig,
} from '../../src/p2p/quotas';
import { openReceivingFile, partFileName } from '../../src/storage/chunkStore';
import { DiskBudget, freeDiskBytes } from '../../src/storage/diskSpace';
import { HASH_BYTES, type Manifest, manifestOfBuffer } from '../../src/storage/manifest';

const alice = generateIdentity().identity.peerId;
const bob = generateIdentity().identity.peerId;

/** A valid-looking manifest of `chunks` chunks of 1 KiB (hashes are random: never fetched). */
function fakeManifest(name: string, chunks: number): Manifest {
  return {
    name,
    size: chunks * 1024,
    sha256: randomBytes(32),
    chunkSize: 1024,
    chunkHashes: randomBytes(chunks * HASH_BYTES),
  };
}

describe('memory bound per peer', () => {
  it('is the documented formula of the caps', () => {
    const bound = memoryBoundPerPeer();
    expect(bound.total).toBe(12_869_640);
    expect(bound.total).toBe(
      2 * (DEFAULT_QUOTAS.maxFrameBytes + 4) +
        DEFAULT_QUOTAS.maxSendBufferBytes +
        DEFAULT_QUOTAS.maxManifestsPerPeer * 1024 +
        DEFAULT_QUOTAS.maxChunkHashesPerPeer * (32 + 1 / 8) +
        DEFAULT_QUOTAS.maxRecordsPerSource * 1024 +
        DEFAULT_QUOTAS.maxQueuedRequests * 256,
    );
  });
});

describe('AnnouncementQuotas', () => {
  const small: QuotaConfig = {
    ...DEFAULT_QUOTAS,
    maxManifestsPerPeer: 3,
    maxAnnouncedBytesPerPeer: 100 * 1024,
    maxChunkHashesPerPeer: 120,
    maxFiles: 5,
    maxTotalChunkHashes: 300,
  };

  it('the flood of issue 9 (300 manifests of 1 MiB of hashes) stops at the sender’s cap', () => {
    const quotas = new AnnouncementQuotas();
    const outcomes = Array.from({ length: 300 }, (_, i) =>
      quotas.charge([alice], fakeManifest(`flood${i}.bin`, 32 * 1024)),
    );
    const accepted = outcomes.filter((o) => o.ok).length;
    expect(accepted).toBe(2); // 2 × 32 Ki hashes = the 64 Ki cap
    expect(outcomes[2]).toEqual({ ok: false, code: 'ERR_QUOTA', limit: 'hashes' });
    expect(quotas.usageOf(alice).hashes * HASH_BYTES).toBeLessThanOrEqual(
      DEFAULT_QUOTAS.maxChunkHashesPerPeer * HASH_BYTES,
    );
  });

  it('refuses by count, bytes, hashes, and the global caps; charges all or nothing', () => {
    const quotas = new AnnouncementQuotas(small);
    expect(quotas.charge([alice], fakeManifest('a', 10)).ok).toBe(true);
    expect(quotas.charge([alice], fakeManifest('a', 10)).ok).toBe(true); // idempotent
    expect(quotas.usageOf(alice)).toEqual({ manifests: 1, bytes: 10 * 1024, hashes: 10 });
    expect(quotas.charge([alice], fakeManifest('b', 100))).toMatchObject({ limit: 'bytes' });
    expect(quotas.charge([alice], fakeManifest('b', 60)).ok).toBe(true);
    expect(quotas.charge([alice], fakeManifest('c', 10)).ok).toBe(true);
    expect(quotas.charge([alice], fakeManifest('d', 1))).toMatchObject({ limit: 'manifests' });
    // Bob relays a manifest Alice owns: both are charged, and Alice is full.
    expect(quotas.charge([bob, alice], fakeManifest('e', 1))).toMatchObject({
      limit: 'manifests',
    });
    expect(quotas.usageOf(bob)).toEqual({ manifests: 0, bytes: 0, hashes: 0 });
    quotas.release(alice, 'a');
    expect(quotas.usageOf(alice).manifests).toBe(2);
    expect(quotas.charge([bob, alice], fakeManifest('e', 1)).ok).toBe(true);
  });

  it('usage never passes a cap, whatever is announced and released', () => {
    const peers = [alice, bob];
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.boolean(),
            fc.subarray(peers, { minLength: 1 }),
            fc.integer({ min: 0, max: 9 }),
            fc.integer({ min: 0, max: 80 }),
          ),
          { maxLength: 80 },
        ),
        (ops) => {
          const quotas = new AnnouncementQuotas(small);
          for (const [release, who, n, chunks] of ops) {
            if (release) quotas.release(who[0]!, `f${n}`);
            else quotas.charge(who, fakeManifest(`f${n}`, chunks));
            for (const p of peers) {
              const u = quotas.usageOf(p);
              expect(u.manifests).toBeLessThanOrEqual(small.maxManifestsPerPeer);
              expect(u.bytes).toBeLessThanOrEqual(small.maxAnnouncedBytesPerPeer);
              expect(u.hashes).toBeLessThanOrEqual(small.maxChunkHashesPerPeer);
            }
            expect(quotas.totalHashes).toBeLessThanOrEqual(small.maxTotalChunkHashes);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('disk space', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'timeswarm-quota-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('measures free space with statfs', async () => {
    expect(await freeDiskBytes(dir)).toBeGreaterThan(0);
    await expect(freeDiskBytes(join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a manifest larger than the free disk is refused before any .part exists', async () => {
    const huge = { ...fakeManifest('huge.bin', 1), size: 32 * 1024 ** 3, chunkSize: 1024 ** 2 };
    huge.chunkHashes = randomBytes(32 * 1024 * HASH_BYTES);
    const budget = new DiskBudget(dir, { reserveBytes: 0, probe: async () => 64 * 1024 ** 2 });
    await expect(openReceivingFile(dir, huge, { budget })).rejects.toMatchObject({
      code: 'ERR_NO_SPACE',
    });
    expect(await readdir(dir)).toEqual([]);
    expect(budget.promisedBytes).toBe(0);
    // With the real disk (statfs): 32 TiB is more than this machine has free.
    const bigger = { ...huge, size: 2 ** 45 };
    await expect(openReceivingFile(dir, bigger)).rejects.toMatchObject({ code: 'ERR_NO_SPACE' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('files in progress cannot promise the same free space twice, and give it back', async () => {
    const budget = new DiskBudget(dir, { reserveBytes: 1000, probe: async () => 11_000 });
    const a = manifestOfBuffer('a.bin', randomBytes(6000), 1024);
    const b = manifestOfBuffer('b.bin', randomBytes(6000), 1024);
    const fileA = await openReceivingFile(dir, a, { budget, durable: false });
    await expect(openReceivingFile(dir, b, { budget, durable: false })).rejects.toMatchObject({
      code: 'ERR_NO_SPACE',
    });
    expect(await readdir(dir)).toEqual([partFileName('a.bin')]);
    await fileA.discard();
    expect(await readdir(dir)).toEqual([]);
    const fileB = await openReceivingFile(dir, b, { budget, durable: false });
    expect(budget.promisedBytes).toBe(6000);
    await fileB.close();
  });

  it('a completed file frees its promise; discarding it then keeps it', async () => {
    const budget = new DiskBudget(dir, { reserveBytes: 0 });
    const data = randomBytes(3000);
    const m = manifestOfBuffer('c.bin', data, 1024);
    const file = await openReceivingFile(dir, m, { budget, durable: false });
    for (let i = 0; i < 3; i++) await file.write(i, data.subarray(i * 1024, (i + 1) * 1024));
    expect(file.complete).toBe(true);
    expect(budget.promisedBytes).toBe(0);
    await file.discard();
    expect(await readdir(dir)).toEqual(['c.bin']);
  });

  it('a resumed .part is promised only its missing bytes, and a discarded one is removed', async () => {
    const data = randomBytes(4096);
    const m = manifestOfBuffer('r.bin', data, 1024);
    const part = join(dir, partFileName('r.bin'));
    await writeFile(part, data.subarray(0, 2048));
    const budget = new DiskBudget(dir, { reserveBytes: 0 });
    const file = await openReceivingFile(dir, m, { budget, durable: false });
    expect(file.have.count).toBe(2);
    expect(budget.promisedBytes).toBeLessThanOrEqual(4096 - 2048 + 4096); // blocks round up
    expect((await stat(part)).size).toBe(4096);
    await file.discard();
    expect(await readdir(dir)).toEqual([]);
    await expect(file.write(2, data.subarray(2048, 3072))).rejects.toMatchObject({
      code: 'ERR_DISCARDED',
    });
  });
});
