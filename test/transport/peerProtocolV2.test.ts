import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import {
  generateIdentity,
  Handshake,
  manifestClaimFromWire,
  recordClaimFromWire,
  recordToWire,
  signedManifestToWire,
  signManifest,
  signPeerRecord,
  verifyPeerRecord,
  verifySignedManifest,
} from '../../src/p2p';
import { authToWire, helloToWire } from '../../src/p2p/wire';
import { manifestOfBuffer } from '../../src/storage/manifest';
import { decodePayload, encodeFrame } from '../../src/transport/codec';
import {
  helloVersion,
  parseHandshakeMessage,
  parsePeerMessageV2,
} from '../../src/transport/peerProtocolV2';

/** Through the real codec: what a message becomes on the other side of the wire. */
const overTheWire = (message: unknown) => decodePayload(encodeFrame(message).subarray(4));
const NOW = Date.UTC(2026, 11, 1);

describe('protocol v2 messages', () => {
  const alice = generateIdentity().identity;

  it('the handshake messages survive msgpack and drive a Handshake', () => {
    const d = new Handshake({ identity: alice, role: 'dialer' });
    const a = new Handshake({
      identity: generateIdentity().identity,
      role: 'acceptor',
      secret: 's',
    });
    const hello = parseHandshakeMessage(overTheWire(helloToWire(d.hello())));
    expect(hello.type).toBe('hello');
    if (hello.type !== 'hello') return;
    const step = a.receiveHello(hello);
    expect(step.ok).toBe(true);
    if (!step.ok) return;
    const auth = parseHandshakeMessage(overTheWire(authToWire(step.value)));
    expect(auth).toMatchObject({ type: 'auth' });
    if (auth.type === 'auth') expect(auth.mac).toHaveLength(32);
  });

  it('a v1 hello is recognised as version 1 (to be refused with ERR_VERSION), not as garbage', () => {
    const v1 = {
      type: 'hello',
      version: 1,
      self: { peerId: 'abc', host: '', port: 1, seq: 0, complete: false, offers: [] },
    };
    expect(helloVersion(overTheWire(v1))).toBe(1);
    expect(() => parseHandshakeMessage(overTheWire(v1))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_MESSAGE' }),
    );
    expect(helloVersion({ type: 'auth' })).toBeNull();
  });

  it('a signed manifest survives the wire and still verifies; a changed one does not', () => {
    const m = manifestOfBuffer('client_1_TimeData.txt', randomBytes(50_000), 16_384);
    const signed = signManifest(alice, m);
    const wire = parsePeerMessageV2(overTheWire(signedManifestToWire(signed, Buffer.from([0xf0]))));
    expect(wire.type).toBe('manifest');
    if (wire.type !== 'manifest') return;
    expect(verifySignedManifest(manifestClaimFromWire(wire)).ok).toBe(true);
    expect(
      verifySignedManifest(manifestClaimFromWire({ ...wire, size: wire.size + 1 })),
    ).toMatchObject({ ok: false });
  });

  it('a signed record survives the wire (addresses as bytes) and still verifies', () => {
    const record = signPeerRecord(alice, {
      seq: 3,
      expiresAt: NOW + 60_000,
      complete: true,
      // Data only: nothing listens or dials here. Port 0 is not a valid record address (§9.5).
      addresses: [
        { host: '127.0.0.1', port: 7000 },
        { host: '::1', port: 7001 },
      ],
    });
    const wire = parsePeerMessageV2(
      overTheWire({ type: 'records', records: [recordToWire(record)] }),
    );
    if (wire.type !== 'records') throw new Error('not records');
    const claim = recordClaimFromWire(wire.records[0]!);
    expect(claim.addresses).toEqual(record.addresses);
    expect(verifyPeerRecord(claim, { nowWallMs: NOW }).ok).toBe(true);
  });

  it('refuses oversized or malformed fields with ERR_INVALID_MESSAGE', () => {
    const bad = [
      { type: 'records', records: Array(65).fill({}) },
      {
        type: 'hello',
        version: 2,
        peerId: 'x',
        publicKey: randomBytes(32),
        nonce: randomBytes(32),
      },
      { type: 'auth', signature: randomBytes(63) },
      { type: 'have', name: 'a', chunks: [] },
      { type: 'manifest', name: 'a' },
      { type: 'done', seq: 1 }, // v1 only
      { type: 'peers', peers: [] }, // v1 only
    ];
    for (const message of bad) {
      for (const parse of [parsePeerMessageV2, parseHandshakeMessage]) {
        expect(() => parse(overTheWire(message))).toThrow(
          expect.objectContaining({ code: 'ERR_INVALID_MESSAGE' }),
        );
      }
    }
  });

  it('never throws anything but ERR_INVALID_MESSAGE on arbitrary values', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        for (const parse of [parsePeerMessageV2, parseHandshakeMessage]) {
          try {
            parse(value);
          } catch (error) {
            expect((error as { code: string }).code).toBe('ERR_INVALID_MESSAGE');
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
