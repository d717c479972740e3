import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Bitfield } from '../../src/storage/bitfield';
import { openReceivingFile, openSourceFile, partFileName } from '../../src/storage/chunkStore';
import {
  buildManifest,
  chunkCount,
  chunkLength,
  manifestOfBuffer,
  manifestProblem,
  sameManifest,
  sha256,
  verifyChunk,
} from '../../src/storage/manifest';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'timeswarm-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function codeOf(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (error) {
    return (error as { code: string }).code;
  }
  return 'no error';
}

describe('bitfield', () => {
  it('round-trips through bytes and refuses stray spare bits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.array(fc.nat(199)), (size, picks) => {
        const field = new Bitfield(size);
        const set = new Set(picks.filter((i) => i < size));
        for (const i of set) field.set(i);
        const back = Bitfield.fromBytes(field.toBytes(), size)!;
        expect(back.count).toBe(set.size);
        expect([...back.indices()]).toEqual([...set].sort((a, b) => a - b));
      }),
    );
    expect(Bitfield.fromBytes(Buffer.from([0xff]), 7)).toBeNull();
    expect(Bitfield.fromBytes(Buffer.from([0xfe]), 7)?.count).toBe(7);
    expect(Bitfield.fromBytes(Buffer.from([0, 0]), 7)).toBeNull();
  });
});

describe('manifest', () => {
  it('describes a file: size, whole hash, one hash per chunk (size not a multiple of the chunk)', async () => {
    const data = randomBytes(10_000);
    await writeFile(join(dir, 'f.bin'), data);
    const manifest = await buildManifest(join(dir, 'f.bin'), { chunkSize: 4096 });
    expect(manifest).toMatchObject({ name: 'f.bin', size: 10_000, chunkSize: 4096 });
    expect(manifest.sha256.equals(sha256(data))).toBe(true);
    expect(chunkCount(10_000, 4096)).toBe(3);
    expect(chunkLength(manifest, 2)).toBe(10_000 - 8192);
    expect(verifyChunk(manifest, 2, data.subarray(8192))).toBe(true);
    expect(verifyChunk(manifest, 1, data.subarray(8192))).toBe(false);
    expect(sameManifest(manifest, manifestOfBuffer('f.bin', data, 4096))).toBe(true);
  });

  it('describes a zero-byte file with no chunks', async () => {
    await writeFile(join(dir, 'empty'), '');
    const manifest = await buildManifest(join(dir, 'empty'));
    expect(manifest.size).toBe(0);
    expect(manifest.chunkHashes.length).toBe(0);
    expect(manifestProblem(manifest)).toBeNull();
  });

  it('agrees with the in-memory builder for any content and chunk size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 1, max: 700 }),
        async (bytes, chunkSize) => {
          const path = join(dir, 'p.bin');
          await writeFile(path, bytes);
          const fromFile = await buildManifest(path, { chunkSize });
          const fromMemory = manifestOfBuffer('p.bin', Buffer.from(bytes), chunkSize);
          expect(sameManifest(fromFile, fromMemory)).toBe(true);
          expect(manifestProblem(fromFile)).toBeNull();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('finds inconsistent manifests', () => {
    const good = manifestOfBuffer('x', Buffer.from('hello world'), 4);
    expect(manifestProblem({ ...good, name: '../x' })).toMatch(/name/);
    expect(manifestProblem({ ...good, size: 100 })).toMatch(/chunk hashes/);
    expect(manifestProblem({ ...good, chunkSize: 0 })).toMatch(/chunk size/);
    expect(manifestProblem({ ...good, size: -1 })).toMatch(/size/);
    expect(manifestProblem({ ...good, sha256: Buffer.alloc(3) })).toMatch(/hash/);
  });

  it('refuses to share a file whose name is unsafe', async () => {
    await writeFile(join(dir, 'ok'), 'x');
    expect(await codeOf(() => buildManifest(join(dir, 'ok'), { name: 'a/b' }))).toBe(
      'ERR_BAD_FILE_NAME',
    );
    expect(await codeOf(() => buildManifest(join(dir, 'missing')))).toBe('ENOENT');
  });
});

describe('chunk store', () => {
  const data = randomBytes(5000);
  const manifest = manifestOfBuffer('data.bin', data, 1024);
  const chunk = (i: number) => data.subarray(i * 1024, (i + 1) * 1024);

  it('writes verified chunks to a temporary file and renames it once the whole matches', async () => {
    const out = join(dir, 'out');
    const file = await openReceivingFile(out, manifest);
    expect(file.complete).toBe(false);
    expect(await readdir(out)).toEqual([partFileName('data.bin')]);
    for (const i of [4, 0, 2, 1]) expect(await file.write(i, chunk(i))).toBe('stored');
    expect(await file.write(0, chunk(0))).toBe('duplicate');
    expect((await file.read(2)).equals(chunk(2))).toBe(true);
    expect(await codeOf(() => file.read(3))).toBe('ERR_NO_CHUNK');
    expect(await file.write(3, chunk(3))).toBe('completed');
    expect(file.complete).toBe(true);
    expect(await readdir(out)).toEqual(['data.bin']);
    expect((await readFile(join(out, 'data.bin'))).equals(data)).toBe(true);
    expect((await file.read(3)).equals(chunk(3))).toBe(true);
    await file.close();
  });

  it('refuses a chunk that does not match its hash and writes nothing', async () => {
    const file = await openReceivingFile(dir, manifest);
    const bad = Buffer.from(chunk(1));
    bad.writeUInt8(bad[10]! ^ 0xff, 10);
    expect(await codeOf(() => file.write(1, bad))).toBe('ERR_CHUNK_HASH');
    expect(await codeOf(() => file.write(1, chunk(1).subarray(1)))).toBe('ERR_CHUNK_HASH');
    expect(file.have.count).toBe(0);
    expect(await file.write(1, chunk(1))).toBe('stored');
    await file.close();
  });

  it('a restarted peer keeps the chunks it verified and fetches only the rest', async () => {
    const first = await openReceivingFile(dir, manifest);
    await first.write(0, chunk(0));
    await first.write(3, chunk(3));
    await first.close();
    const again = await openReceivingFile(dir, manifest);
    expect([...again.have.indices()]).toEqual([0, 3]);
    for (const i of [1, 2]) await again.write(i, chunk(i));
    expect(await again.write(4, chunk(4))).toBe('completed');
    expect((await readFile(join(dir, 'data.bin'))).equals(data)).toBe(true);
    await again.close();
    const done = await openReceivingFile(dir, manifest);
    expect(done.complete).toBe(true);
    await done.close();
  });

  it('never overwrites a different file with the same name', async () => {
    await writeFile(join(dir, 'data.bin'), 'something else');
    expect(await codeOf(() => openReceivingFile(dir, manifest))).toBe('ERR_FILE_EXISTS');
    expect(await readFile(join(dir, 'data.bin'), 'utf8')).toBe('something else');
  });

  it('a zero-byte file is complete at once', async () => {
    const empty = manifestOfBuffer('empty.txt', Buffer.alloc(0));
    const file = await openReceivingFile(dir, empty);
    expect(file.complete).toBe(true);
    expect((await readFile(join(dir, 'empty.txt'))).length).toBe(0);
    await file.close();
  });

  it('a manifest whose whole hash lies is caught after the last chunk', async () => {
    const liar = { ...manifest, sha256: sha256(Buffer.from('other')) };
    const file = await openReceivingFile(dir, liar);
    for (let i = 0; i < 4; i++) await file.write(i, chunk(i));
    expect(await codeOf(() => file.write(4, chunk(4)))).toBe('ERR_FILE_HASH');
    expect(await readdir(dir)).toEqual([]);
  });

  it('a source file serves the chunks of its manifest', async () => {
    await writeFile(join(dir, 'data.bin'), data);
    const source = await openSourceFile(join(dir, 'data.bin'), manifest);
    expect((await source.read(4)).equals(chunk(4))).toBe(true);
    expect(await codeOf(() => source.read(5))).toBe('ERR_NO_CHUNK');
    await source.close();
  });
});
