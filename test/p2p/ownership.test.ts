import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { generateIdentity, type PeerId, type PeerIdentity } from '../../src/p2p/identity';
import {
  MANIFEST_CONTEXT,
  manifestBodyBytes,
  NameLedger,
  type SignedManifest,
  signedManifestBytes,
  signManifest,
  verifySignedManifest,
} from '../../src/p2p/ownership';
import { type Manifest, manifestOfBuffer } from '../../src/storage/manifest';

const ids: PeerIdentity[] = Array.from({ length: 4 }, () => generateIdentity().identity);
const [alice, bob, carol] = ids as [PeerIdentity, PeerIdentity, PeerIdentity, PeerIdentity];

const claimOf = (s: SignedManifest) => ({
  manifest: s.manifest,
  owner: s.owner as string,
  ownerKey: s.ownerKey,
  signature: s.signature,
});

describe('canonical manifest bytes', () => {
  it('are exactly the documented layout', () => {
    const data = randomBytes(10_000);
    const m = manifestOfBuffer('client_2_TimeData.txt', data, 4096);
    const body = manifestBodyBytes(m);
    const name = Buffer.from('client_2_TimeData.txt');
    const expected = Buffer.concat([
      Buffer.from([name.length]),
      name,
      Buffer.from([0, 0, 0, 0, 0, 0, 0x27, 0x10]), // 10,000
      Buffer.from([0, 0, 0x10, 0]), // 4096
      Buffer.from([0, 0, 0, 3]), // 3 chunks
      createHash('sha256').update(data).digest(),
      createHash('sha256').update(m.chunkHashes).digest(),
    ]);
    expect(body.equals(expected)).toBe(true);
    const signed = signedManifestBytes(alice.peerId, body);
    expect(signed.subarray(0, MANIFEST_CONTEXT.length + 1).toString('latin1')).toBe(
      `${MANIFEST_CONTEXT}\0`,
    );
    expect(signed).toHaveLength(MANIFEST_CONTEXT.length + 1 + 32 + body.length);
  });

  it('do not depend on how the manifest object was built (key order, copies)', () => {
    const m = manifestOfBuffer('a.bin', randomBytes(3000), 1024);
    const reordered: Manifest = {
      chunkHashes: Buffer.from(m.chunkHashes),
      chunkSize: m.chunkSize,
      sha256: Buffer.from(m.sha256),
      size: m.size,
      name: `${m.name}`,
    };
    expect(manifestBodyBytes(reordered).equals(manifestBodyBytes(m))).toBe(true);
  });

  it('refuse a manifest that breaks the rules', () => {
    const m = manifestOfBuffer('a.bin', randomBytes(3000), 1024);
    expect(() => manifestBodyBytes({ ...m, name: 'a b' })).toThrow(RangeError);
    expect(() => manifestBodyBytes({ ...m, chunkHashes: m.chunkHashes.subarray(32) })).toThrow(
      RangeError,
    );
  });
});

describe('signed manifests', () => {
  const m = manifestOfBuffer('client_1_TimeData.txt', randomBytes(5000), 1024);

  it('verify when untouched', () => {
    const signed = signManifest(alice, m);
    const checked = verifySignedManifest(claimOf(signed));
    expect(checked.ok && checked.value.owner).toBe(alice.peerId);
    expect(checked.ok && checked.value.contentDigest.equals(signed.contentDigest)).toBe(true);
  });

  it('no relay can alter any field, or re-attribute the manifest', () => {
    const signed = signManifest(alice, m);
    const hashes = Buffer.from(m.chunkHashes);
    hashes[40]! ^= 1;
    const altered: Array<[string, Manifest]> = [
      ['name', { ...m, name: 'client_2_TimeData.txt' }],
      ['size', { ...m, size: m.size - 1 }],
      ['chunkSize', { ...m, chunkSize: 2048, chunkHashes: m.chunkHashes.subarray(0, 3 * 32) }],
      ['sha256', { ...m, sha256: randomBytes(32) }],
      ['a chunk hash', { ...m, chunkHashes: hashes }],
    ];
    for (const [, manifest] of altered) {
      expect(verifySignedManifest({ ...claimOf(signed), manifest })).toEqual({
        ok: false,
        code: 'ERR_BAD_SIGNATURE',
      });
    }
    // Claimed by Bob with Alice's signature: Bob's key does not verify it.
    expect(
      verifySignedManifest({ ...claimOf(signed), owner: bob.peerId, ownerKey: bob.publicKey }),
    ).toEqual({ ok: false, code: 'ERR_BAD_SIGNATURE' });
    // Bob's ID with Alice's key: the ID is not the key's fingerprint.
    expect(verifySignedManifest({ ...claimOf(signed), owner: bob.peerId })).toEqual({
      ok: false,
      code: 'ERR_PEER_ID_MISMATCH',
    });
    expect(verifySignedManifest({ ...claimOf(signed), manifest: { ...m, name: '../x' } })).toEqual({
      ok: false,
      code: 'ERR_BAD_MANIFEST',
    });
  });

  it('random bytes in place of a signature never verify', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), (signature) => {
        const result = verifySignedManifest({ ...claimOf(signManifest(alice, m)), signature });
        expect(result.ok).toBe(false);
      }),
      { numRuns: 100 },
    );
  });
});

/** Small contents, so many manifests per test stay cheap. */
const contents = Array.from({ length: 4 }, (_, i) =>
  manifestOfBuffer('shared.txt', Buffer.from(`content ${i}`), 1024),
);
const signedBy = (owner: PeerIdentity, content: number) => signManifest(owner, contents[content]!);

describe('NameLedger: who owns a name', () => {
  it('one content, any number of owners: accepted', () => {
    const ledger = new NameLedger({ trusted: null });
    expect(ledger.offer(signedBy(alice, 0))).toEqual({ kind: 'new' });
    expect(ledger.offer(signedBy(bob, 0))).toEqual({ kind: 'same' });
    expect(ledger.offer(signedBy(alice, 0))).toEqual({ kind: 'same' });
    const verdict = ledger.verdict('shared.txt');
    expect(verdict.kind).toBe('accepted');
    if (verdict.kind === 'accepted') {
      expect(verdict.content.owners).toEqual([alice.peerId, bob.peerId].sort());
    }
    expect(ledger.conflicts()).toEqual([]);
  });

  it('two owners, two contents: a conflict naming both, whoever came first', () => {
    for (const order of [
      [signedBy(alice, 0), signedBy(bob, 1)],
      [signedBy(bob, 1), signedBy(alice, 0)],
    ]) {
      const ledger = new NameLedger({ trusted: null });
      expect(ledger.offer(order[0]!)).toEqual({ kind: 'new' });
      expect(ledger.offer(order[1]!)).toEqual({ kind: 'conflict', fresh: true });
      expect(ledger.verdict('shared.txt')).toMatchObject({
        kind: 'conflict',
        code: 'ERR_NAME_CONFLICT',
      });
      expect(ledger.conflicts()).toEqual([
        { name: 'shared.txt', owners: [alice.peerId, bob.peerId].sort() },
      ]);
    }
  });

  it('one owner signing two contents (equivocation) is a conflict too', () => {
    const ledger = new NameLedger({ trusted: null });
    ledger.offer(signedBy(alice, 0));
    expect(ledger.offer(signedBy(alice, 1))).toEqual({ kind: 'conflict', fresh: true });
    expect(ledger.conflicts()).toEqual([{ name: 'shared.txt', owners: [alice.peerId] }]);
  });

  it('with a trust list, only trusted owners count: a forger is ignored, not a conflict', () => {
    const ledger = new NameLedger({ trusted: new Set([alice.peerId]) });
    expect(ledger.offer(signedBy(bob, 1))).toEqual({
      kind: 'refused',
      code: 'ERR_UNTRUSTED_OWNER',
    });
    expect(ledger.verdict('shared.txt')).toEqual({ kind: 'unknown' });
    expect(ledger.offer(signedBy(alice, 0))).toEqual({ kind: 'new' });
    expect(ledger.offer(signedBy(bob, 1))).toEqual({
      kind: 'refused',
      code: 'ERR_UNTRUSTED_OWNER',
    });
    expect(ledger.verdict('shared.txt').kind).toBe('accepted');
  });

  it('refuses new names beyond its bound', () => {
    const ledger = new NameLedger({ trusted: null }, { maxNames: 2 });
    for (const name of ['a.txt', 'b.txt']) {
      expect(ledger.offer(signManifest(alice, manifestOfBuffer(name, Buffer.from(name))))).toEqual({
        kind: 'new',
      });
    }
    expect(ledger.offer(signManifest(alice, manifestOfBuffer('c.txt', Buffer.from('c'))))).toEqual({
      kind: 'refused',
      code: 'ERR_QUOTA',
    });
  });

  it('the verdict is a function of the set of manifests, never of their order', () => {
    const pool = [
      ...ids.map((owner) => signedBy(owner, 0)),
      signedBy(alice, 1),
      signedBy(bob, 2),
      signedBy(carol, 3),
      signedBy(carol, 0),
    ];
    const summary = (ledger: NameLedger) => {
      const v = ledger.verdict('shared.txt');
      if (v.kind === 'unknown') return 'unknown';
      const show = (c: { signed: SignedManifest; owners: PeerId[] }) =>
        `${c.signed.contentDigest.toString('hex')}:${c.signed.owner}:${c.owners.join(',')}`;
      return v.kind === 'accepted' ? `ok ${show(v.content)}` : `conflict ${v.contents.map(show)}`;
    };
    fc.assert(
      fc.property(
        fc.subarray(pool, { minLength: 1 }),
        fc.array(fc.nat(), { minLength: pool.length, maxLength: pool.length }),
        fc.boolean(),
        (subset, keys, trustAll) => {
          const trusted = trustAll ? null : new Set([alice.peerId, carol.peerId]);
          const sorted = new NameLedger({ trusted }, { maxOwnersPerContent: 2 });
          const shuffled = new NameLedger({ trusted }, { maxOwnersPerContent: 2 });
          for (const s of subset) sorted.offer(s);
          const permuted = subset
            .map((s, i) => ({ s, k: keys[i]! }))
            .sort((a, b) => a.k - b.k)
            .map(({ s }) => s);
          for (const s of permuted) shuffled.offer(s);
          expect(summary(shuffled)).toBe(summary(sorted));
          expect(shuffled.conflicts()).toEqual(sorted.conflicts());
        },
      ),
      { numRuns: 200 },
    );
  });
});
