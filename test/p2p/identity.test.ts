import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmod, lstat, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  base32,
  formatPeerId,
  generateIdentity,
  Handshake,
  type HandshakeTranscript,
  isPeerId,
  loadOrCreateIdentity,
  membershipProof,
  membershipProofMatches,
  type PeerId,
  parsePeerId,
  peerIdBytes,
  peerIdOf,
  shortPeerId,
  signHandshake,
  verifyHandshake,
  verifySignature,
} from '../../src/p2p/identity';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'timeswarm-id-'));
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

describe('peer IDs', () => {
  it('base32 follows RFC 4648 (test vectors, no padding)', () => {
    const vectors: Array<[string, string]> = [
      ['', ''],
      ['f', 'MY'],
      ['fo', 'MZXQ'],
      ['foo', 'MZXW6'],
      ['foob', 'MZXW6YQ'],
      ['fooba', 'MZXW6YTB'],
      ['foobar', 'MZXW6YTBOI'],
    ];
    for (const [text, encoded] of vectors) expect(base32(Buffer.from(text))).toBe(encoded);
  });

  it('is base32(SHA-256(raw public key)): 52 characters that spell the digest', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (key) => {
        const id = peerIdOf(key);
        expect(id).toHaveLength(52);
        expect(isPeerId(id)).toBe(true);
        expect(peerIdBytes(id).equals(createHash('sha256').update(key).digest())).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('reads back its printed, grouped form and nothing else', () => {
    const { identity } = generateIdentity();
    const printed = formatPeerId(identity.peerId);
    expect(printed).toMatch(/^([A-Z2-7]{4}-){12}[A-Z2-7]{4}$/);
    expect(parsePeerId(printed)).toBe(identity.peerId);
    expect(parsePeerId(printed.toLowerCase())).toBe(identity.peerId);
    expect(shortPeerId(identity.peerId)).toBe(identity.peerId.slice(0, 8));
    // A non-canonical last character (spare bits set) spells the same bytes: refused.
    const bent = `${identity.peerId.slice(0, 51)}${identity.peerId.endsWith('A') ? 'B' : 'R'}`;
    for (const bad of [bent, identity.peerId.slice(1), `${identity.peerId}A`, 'x'.repeat(52)]) {
      expect(() => parsePeerId(bad)).toThrow(expect.objectContaining({ code: 'ERR_BAD_PEER_ID' }));
    }
    expect(() => peerIdOf(randomBytes(31))).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_PEER_ID' }),
    );
  });
});

describe('signatures', () => {
  it('a signature verifies with its key only, over its bytes only', () => {
    const a = generateIdentity().identity;
    const b = generateIdentity().identity;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(199), (data, flip) => {
        const signature = a.sign(data);
        expect(verifySignature(a.publicKey, data, signature)).toBe(true);
        expect(verifySignature(b.publicKey, data, signature)).toBe(false);
        const bent = Buffer.from(signature);
        bent[flip % 64]! ^= 1;
        expect(verifySignature(a.publicKey, data, bent)).toBe(false);
        if (data.length > 0) {
          const other = Buffer.from(data);
          other[flip % data.length]! ^= 0x80;
          expect(verifySignature(a.publicKey, other, signature)).toBe(false);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('never throws on hostile keys or signatures', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 70 }),
        (key, signature) => {
          expect(verifySignature(key, Buffer.from('x'), signature)).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the key file', () => {
  it('is created on first run with mode 0600 and loaded the same afterwards', async () => {
    const keyPath = join(dir, 'sub', 'peer.key');
    const first = await loadOrCreateIdentity({ keyPath });
    expect(first.created).toBe(true);
    expect((await lstat(keyPath)).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateIdentity({ keyPath });
    expect(again.created).toBe(false);
    expect(again.identity.peerId).toBe(first.identity.peerId);
    expect(again.identity.publicKey.equals(first.identity.publicKey)).toBe(true);
    // No temporary is left behind.
    expect(await readdir(join(dir, 'sub'))).toEqual(['peer.key']);
  });

  it('two processes creating it at once end with one key', async () => {
    const keyPath = join(dir, 'peer.key');
    const results = await Promise.all(
      Array.from({ length: 6 }, () => loadOrCreateIdentity({ keyPath })),
    );
    expect(new Set(results.map((r) => r.identity.peerId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await readdir(dir)).toEqual(['peer.key']);
  });

  it('refuses a key file readable by group or others, and does not fix it', async () => {
    const keyPath = join(dir, 'peer.key');
    await loadOrCreateIdentity({ keyPath });
    for (const mode of [0o640, 0o604, 0o660, 0o644]) {
      await chmod(keyPath, mode);
      expect(await codeOf(() => loadOrCreateIdentity({ keyPath }))).toBe(
        'ERR_KEY_FILE_PERMISSIONS',
      );
      expect((await lstat(keyPath)).mode & 0o777).toBe(mode);
    }
  });

  it('refuses a symbolic link, even to a good key', async () => {
    const real = join(dir, 'real.key');
    await loadOrCreateIdentity({ keyPath: real });
    const keyPath = join(dir, 'link.key');
    await symlink(real, keyPath);
    expect(await codeOf(() => loadOrCreateIdentity({ keyPath }))).toBe('ERR_KEY_FILE_SYMLINK');
    // A dangling link is not "no file": it is refused too, never written through.
    const dangling = join(dir, 'dangling.key');
    await symlink(join(dir, 'nowhere'), dangling);
    expect(await codeOf(() => loadOrCreateIdentity({ keyPath: dangling }))).toBe(
      'ERR_KEY_FILE_SYMLINK',
    );
    expect(await readdir(dir)).not.toContain('nowhere');
  });

  it('refuses a file that is not an Ed25519 key, and a folder', async () => {
    const keyPath = join(dir, 'bad.key');
    await writeFile(keyPath, 'not a key', { mode: 0o600 });
    expect(await codeOf(() => loadOrCreateIdentity({ keyPath }))).toBe('ERR_KEY_FILE_INVALID');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    await writeFile(keyPath, ec, { mode: 0o600 });
    expect(await codeOf(() => loadOrCreateIdentity({ keyPath }))).toBe('ERR_KEY_FILE_INVALID');
    expect(await codeOf(() => loadOrCreateIdentity({ keyPath: dir }))).toBe(
      'ERR_KEY_FILE_PERMISSIONS',
    );
    expect(
      await codeOf(() => loadOrCreateIdentity({ keyPath: join(dir, 'x'), create: false })),
    ).toBe('ENOENT');
  });
});

const nonce = () => randomBytes(32);

function transcriptOf(a: PeerId, b: PeerId): HandshakeTranscript {
  return { dialerId: a, acceptorId: b, dialerNonce: nonce(), acceptorNonce: nonce() };
}

describe('handshake transcript', () => {
  const a = generateIdentity().identity;
  const b = generateIdentity().identity;

  it('a proof is good for its role, its pair and its nonces only', () => {
    const t = transcriptOf(a.peerId, b.peerId);
    const signature = signHandshake(a, 'dialer', t);
    expect(verifyHandshake(a.publicKey, 'dialer', t, signature)).toBe(true);
    // Reflected as the other role.
    expect(verifyHandshake(a.publicKey, 'acceptor', t, signature)).toBe(false);
    // Replayed into another connection (another nonce from the verifier).
    expect(
      verifyHandshake(a.publicKey, 'dialer', { ...t, acceptorNonce: nonce() }, signature),
    ).toBe(false);
    // Relayed to a third peer.
    const c = generateIdentity().identity;
    expect(verifyHandshake(a.publicKey, 'dialer', { ...t, acceptorId: c.peerId }, signature)).toBe(
      false,
    );
  });

  it('a membership proof needs the secret, and is bound like the signature', () => {
    const t = transcriptOf(a.peerId, b.peerId);
    const mac = membershipProof('s3cret', 'acceptor', t);
    expect(membershipProofMatches('s3cret', 'acceptor', t, mac)).toBe(true);
    expect(membershipProofMatches('other', 'acceptor', t, mac)).toBe(false);
    expect(membershipProofMatches('s3cret', 'dialer', t, mac)).toBe(false);
    expect(membershipProofMatches('s3cret', 'acceptor', t, undefined)).toBe(false);
    expect(membershipProofMatches('s3cret', 'acceptor', t, mac.subarray(0, 31))).toBe(false);
  });
});

describe('Handshake (both sides, no I/O)', () => {
  function run(
    dialerOptions: Partial<ConstructorParameters<typeof Handshake>[0]> = {},
    acceptorOptions: Partial<ConstructorParameters<typeof Handshake>[0]> = {},
  ) {
    const d = new Handshake({
      identity: generateIdentity().identity,
      role: 'dialer',
      ...dialerOptions,
    });
    const a = new Handshake({
      identity: generateIdentity().identity,
      role: 'acceptor',
      ...acceptorOptions,
    });
    return { d, a };
  }

  it('proves both IDs to each other', () => {
    const { d, a } = run();
    const authFromA = a.receiveHello(d.hello());
    const authFromD = d.receiveHello(a.hello());
    if (!authFromA.ok || !authFromD.ok) throw new Error('hello refused');
    const provenAtA = a.receiveAuth(authFromD.value);
    const provenAtD = d.receiveAuth(authFromA.value);
    expect(provenAtA).toEqual({
      ok: true,
      value: expect.objectContaining({ peerId: d.hello().peerId }),
    });
    expect(provenAtD).toEqual({
      ok: true,
      value: expect.objectContaining({ peerId: a.hello().peerId }),
    });
    // Nothing after the end.
    expect(a.receiveAuth(authFromD.value)).toEqual({ ok: false, code: 'ERR_PROTOCOL' });
  });

  it('refuses a claimed ID that is not the key fingerprint, another version, itself', () => {
    const { d, a } = run();
    const other = generateIdentity().identity;
    expect(a.receiveHello({ ...d.hello(), peerId: other.peerId })).toEqual({
      ok: false,
      code: 'ERR_PEER_ID_MISMATCH',
    });
    expect(a.receiveHello({ ...d.hello(), version: 1 })).toEqual({
      ok: false,
      code: 'ERR_VERSION',
    });
    expect(a.receiveHello(a.hello())).toEqual({ ok: false, code: 'ERR_PROTOCOL' }); // own nonce
    expect(a.receiveHello({ ...a.hello(), nonce: nonce() })).toEqual({
      ok: false,
      code: 'ERR_SELF',
    });
  });

  it('a dialer refuses anyone but the peer it meant to dial', () => {
    const target = generateIdentity().identity;
    const { d, a } = run({ expectedPeerId: target.peerId });
    expect(d.receiveHello(a.hello())).toEqual({ ok: false, code: 'ERR_PEER_ID_MISMATCH' });
  });

  it('refuses a forged signature: the claimed ID with someone else’s proof', () => {
    const victim = generateIdentity().identity;
    const { d, a } = run();
    // The attacker presents the victim's ID and key but cannot sign with the victim's key.
    const forged = { ...d.hello(), peerId: victim.peerId, publicKey: victim.publicKey };
    const step = a.receiveHello(forged);
    expect(step.ok).toBe(true);
    const t = {
      dialerId: victim.peerId,
      acceptorId: a.hello().peerId as PeerId,
      dialerNonce: forged.nonce,
      acceptorNonce: a.hello().nonce,
    };
    const attacker = generateIdentity().identity;
    expect(a.receiveAuth({ signature: signHandshake(attacker, 'dialer', t) })).toEqual({
      ok: false,
      code: 'ERR_BAD_SIGNATURE',
    });
  });

  it('with a secret, a peer without it is refused with ERR_AUTH', () => {
    for (const dialerSecret of [undefined, 'wrong']) {
      const { d, a } = run(dialerSecret ? { secret: dialerSecret } : {}, { secret: 'right' });
      const fromD = d.receiveHello(a.hello());
      a.receiveHello(d.hello());
      if (!fromD.ok) throw new Error('hello refused');
      expect(a.receiveAuth(fromD.value)).toEqual({ ok: false, code: 'ERR_AUTH' });
    }
    const { d, a } = run({ secret: 'right' }, { secret: 'right' });
    const fromD = d.receiveHello(a.hello());
    const fromA = a.receiveHello(d.hello());
    if (!fromD.ok || !fromA.ok) throw new Error('hello refused');
    expect(a.receiveAuth(fromD.value).ok).toBe(true);
    expect(d.receiveAuth(fromA.value).ok).toBe(true);
  });

  it('refuses auth before hello', () => {
    const { a } = run();
    expect(a.receiveAuth({ signature: randomBytes(64) })).toEqual({
      ok: false,
      code: 'ERR_PROTOCOL',
    });
  });
});
