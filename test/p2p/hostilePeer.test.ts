import { randomBytes } from 'node:crypto';
import net from 'node:net';
import fc from 'fast-check';
import {
  generateIdentity,
  Handshake,
  handshakeTranscriptBytes,
  manifestBodyBytes,
  manifestClaimFromWire,
  type PeerIdentity,
  peerIdBytes,
  peerIdOf,
  peerRecordBytes,
  recordClaimFromWire,
  SIGNATURE_CONTEXT,
  signedManifestBytes,
  signManifest,
  signPeerRecord,
  verifyPeerRecord,
  verifySignature,
  verifySignedManifest,
} from '../../src/p2p';
import { authToWire, helloToWire, recordToWire } from '../../src/p2p/wire';
import { fileNameViolation } from '../../src/storage/fileName';
import { manifestOfBuffer } from '../../src/storage/manifest';
import { decodePayload, encodeFrame } from '../../src/transport/codec';
import { createFrameDecoder } from '../../src/transport/frameDecoder';
import {
  helloVersion,
  parseHandshakeMessage,
  parsePeerMessageV2,
  peerMessageV2Schema,
} from '../../src/transport/peerProtocolV2';
import {
  HOSTILE_NAMES,
  hostileKey,
  idBytes,
  manifestFieldsOf,
  manifestMessage,
  manifestSigningBytes,
  peerIdFromKey,
  recordEntry,
  recordSigningBytes,
  transcriptBytes,
  verifyBytes,
} from '../helpers/hostileCrypto';
import { HostilePeer } from '../helpers/hostilePeer';

const NOW = Date.UTC(2026, 11, 1);

describe('the hostile peer’s crypto agrees with ours, byte for byte', () => {
  it('peer IDs and the bytes they spell', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (key) => {
        const id = peerIdOf(key);
        expect(peerIdFromKey(key)).toBe(id);
        expect(idBytes(id).equals(peerIdBytes(id))).toBe(true);
      }),
      { numRuns: 200 },
    );
    const k = hostileKey();
    expect(peerIdOf(k.publicKey)).toBe(k.peerId);
  });

  it('handshake transcripts, manifests and records', () => {
    const a = generateIdentity().identity;
    const b = generateIdentity().identity;
    const t = {
      dialerId: a.peerId,
      acceptorId: b.peerId,
      dialerNonce: randomBytes(32),
      acceptorNonce: randomBytes(32),
    };
    for (const role of ['dialer', 'acceptor'] as const) {
      expect(
        transcriptBytes('signature', role, t).equals(
          handshakeTranscriptBytes(SIGNATURE_CONTEXT, role, t),
        ),
      ).toBe(true);
    }
    const m = manifestOfBuffer('client_7_TimeData.txt', randomBytes(70_000), 16_384);
    expect(
      manifestSigningBytes(a.peerId, m).equals(signedManifestBytes(a.peerId, manifestBodyBytes(m))),
    ).toBe(true);
    const fields = {
      seq: 7,
      expiresAt: NOW + 1000,
      complete: true,
      addresses: [
        { ip: Buffer.from([127, 0, 0, 1]), port: 9 },
        { ip: Buffer.from('00000000000000000000000000000001', 'hex'), port: 10 },
      ],
    };
    const ours = peerRecordBytes(a.peerId, {
      ...fields,
      addresses: [
        { host: '127.0.0.1', port: 9 },
        { host: '::1', port: 10 },
      ],
    });
    expect(recordSigningBytes(a.peerId, fields).equals(ours)).toBe(true);
  });

  it('its signatures verify with our functions, and ours with its', () => {
    const key = hostileKey();
    const data = manifestFieldsOf('a.bin', randomBytes(5000), 1024);
    const wire = parsePeerMessageV2(manifestMessage(key, data));
    if (wire.type !== 'manifest') throw new Error('not a manifest');
    expect(verifySignedManifest(manifestClaimFromWire(wire))).toMatchObject({ ok: true });
    const record = recordEntry(key, {
      seq: 1,
      expiresAt: NOW + 1000,
      complete: false,
      addresses: [{ ip: Buffer.from([127, 0, 0, 1]), port: 5 }],
    });
    const parsed = parsePeerMessageV2({ type: 'records', records: [record] });
    if (parsed.type !== 'records') throw new Error('not records');
    expect(verifyPeerRecord(recordClaimFromWire(parsed.records[0]!), { nowWallMs: NOW }).ok).toBe(
      true,
    );

    const ours = generateIdentity().identity;
    const signed = signManifest(ours, manifestOfBuffer('b.bin', randomBytes(3000), 1024));
    expect(
      verifyBytes(
        ours.publicKey,
        manifestSigningBytes(ours.peerId, signed.manifest),
        signed.signature,
      ),
    ).toBe(true);
    const ourRecord = recordToWire(
      signPeerRecord(ours, { seq: 2, expiresAt: NOW + 5, complete: true, addresses: [] }),
    );
    expect(
      verifyBytes(ours.publicKey, recordSigningBytes(ours.peerId, ourRecord), ourRecord.signature),
    ).toBe(true);
    expect(verifySignature(key.publicKey, Buffer.from('x'), randomBytes(64))).toBe(false);
  });

  it('its forgeries fail our checks with the right codes', () => {
    const attacker = hostileKey();
    const victim = hostileKey();
    const data = manifestFieldsOf('client_2_TimeData.txt', randomBytes(4000), 1024);
    const forged = parsePeerMessageV2(manifestMessage(attacker, data, { claimAs: victim }));
    if (forged.type !== 'manifest') throw new Error('not a manifest');
    expect(verifySignedManifest(manifestClaimFromWire(forged))).toEqual({
      ok: false,
      code: 'ERR_BAD_SIGNATURE',
    });
    const fields = { seq: 1, expiresAt: NOW + 1000, complete: false, addresses: [] };
    const forgedRecord = parsePeerMessageV2({
      type: 'records',
      records: [recordEntry(attacker, fields, victim)],
    });
    if (forgedRecord.type !== 'records') throw new Error('not records');
    expect(
      verifyPeerRecord(recordClaimFromWire(forgedRecord.records[0]!), { nowWallMs: NOW }),
    ).toMatchObject({ ok: false, code: 'ERR_BAD_SIGNATURE' });
    // A hash list over the wire limit, and 65 records in one message: refused by the schema.
    const huge = manifestMessage(attacker, {
      ...data,
      size: 40_000 * 1024,
      chunkHashes: Buffer.alloc(40_000 * 32),
    });
    expect(peerMessageV2Schema.safeParse(huge).success).toBe(false);
    const flood = Array.from({ length: 65 }, () => recordEntry(hostileKey(), fields));
    expect(peerMessageV2Schema.safeParse({ type: 'records', records: flood }).success).toBe(false);
    for (const name of HOSTILE_NAMES) expect(fileNameViolation(name)).not.toBeNull();
  });
});

/**
 * A minimal v2 acceptor made only of our pure pieces (frame decoder, codec, schemas,
 * Handshake): what the transfer machine will do, without the machine. It answers a
 * completed handshake with its own signed record, and a failure with `bye <code>`.
 */
async function acceptor(identity: PeerIdentity, secret?: string) {
  const proven: string[] = [];
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    const handshake = new Handshake({ identity, role: 'acceptor', ...(secret ? { secret } : {}) });
    const decoder = createFrameDecoder({ maxFrameBytes: 1024 * 1024 });
    const refuse = (code: string) => {
      socket.end(encodeFrame({ type: 'bye', code, reason: '' }));
    };
    socket.write(encodeFrame(helloToWire(handshake.hello())));
    socket.on('data', (chunk) => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch {
        return refuse('ERR_FRAME_TOO_LARGE');
      }
      for (const payload of frames) {
        let value: unknown;
        let message: ReturnType<typeof parseHandshakeMessage>;
        try {
          value = decodePayload(payload);
          const version = helloVersion(value);
          if (version !== null && version !== 2) return refuse('ERR_VERSION');
          message = parseHandshakeMessage(value);
        } catch (error) {
          return refuse((error as { code: string }).code);
        }
        if (message.type === 'hello') {
          const step = handshake.receiveHello(message);
          if (!step.ok) return refuse(step.code);
          socket.write(encodeFrame(authToWire(step.value)));
        } else if (message.type === 'auth') {
          const step = handshake.receiveAuth(message);
          if (!step.ok) return refuse(step.code);
          proven.push(step.value.peerId);
          const record = signPeerRecord(identity, {
            seq: 1,
            expiresAt: Date.now() + 60_000,
            complete: false,
            addresses: [{ host: '127.0.0.1', port: 1 }],
          });
          socket.write(encodeFrame({ type: 'records', records: [recordToWire(record)] }));
        }
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { port, proven, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('the hostile peer over real TCP (loopback, port 0)', () => {
  const me = generateIdentity().identity;
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function dial(secret?: string) {
    const server = await acceptor(me, secret);
    cleanup.push(server.close);
    const peer = await HostilePeer.connect('127.0.0.1', server.port);
    cleanup.push(() => peer.close());
    return { server, peer };
  }

  it('an honest handshake proves both sides; it can check our proof with its own code', async () => {
    const { server, peer } = await dial();
    const key = hostileKey();
    const result = await peer.handshake({ role: 'dialer', key });
    expect(result.auth).not.toBeNull();
    expect(result.hello.peerId).toBe(me.peerId);
    const proof = result.auth!.signature as Buffer;
    const t = result.transcript!;
    expect(verifyBytes(me.publicKey, transcriptBytes('signature', 'acceptor', t), proof)).toBe(
      true,
    );
    // The same proof is worthless for the other role or another connection's nonce.
    expect(verifyBytes(me.publicKey, transcriptBytes('signature', 'dialer', t), proof)).toBe(false);
    const replay = { ...t, dialerNonce: randomBytes(32) };
    expect(verifyBytes(me.publicKey, transcriptBytes('signature', 'acceptor', replay), proof)).toBe(
      false,
    );
    expect(result.outcome).toMatchObject({ type: 'records' });
    expect(server.proven).toEqual([key.peerId]);
  });

  it('a forged identity (a victim’s ID and key, signed by the attacker) gets ERR_BAD_SIGNATURE', async () => {
    const { server, peer } = await dial();
    const victim = hostileKey();
    const result = await peer.handshake({ role: 'dialer', claim: victim });
    expect(result.outcome).toMatchObject({ type: 'bye', code: 'ERR_BAD_SIGNATURE' });
    await peer.closed;
    expect(server.proven).toEqual([]);
  });

  it('an ID that is not its key’s fingerprint gets ERR_PEER_ID_MISMATCH', async () => {
    const { peer } = await dial();
    const result = await peer.handshake({
      role: 'dialer',
      claim: { peerId: hostileKey().peerId, publicKey: hostileKey().publicKey },
    });
    expect(result.outcome).toMatchObject({ type: 'bye', code: 'ERR_PEER_ID_MISMATCH' });
  });

  it('without the secret, or with a wrong one, it is refused with ERR_AUTH before anything else', async () => {
    for (const secret of [undefined, 'wrong']) {
      const { server, peer } = await dial('right');
      const result = await peer.handshake({ role: 'dialer', ...(secret ? { secret } : {}) });
      expect(result.outcome).toMatchObject({ type: 'bye', code: 'ERR_AUTH' });
      await peer.closed;
      expect(peer.received.map((m) => m.type)).toEqual(['hello', 'auth', 'bye']);
      expect(server.proven).toEqual([]);
    }
    const { server, peer } = await dial('right');
    const member = await peer.handshake({ role: 'dialer', secret: 'right' });
    expect(member.outcome).toMatchObject({ type: 'records' });
    expect(server.proven).toHaveLength(1);
  });

  it('a v1 hello gets ERR_VERSION; garbage gets the codec’s code; a huge prefix is refused', async () => {
    const v1 = await dial();
    v1.peer.send({
      type: 'hello',
      version: 1,
      self: { peerId: 'old', host: '', port: 1, seq: 0, complete: false, offers: [] },
    });
    expect(await v1.peer.byeCode()).toBe('ERR_VERSION');
    const junk = await dial();
    junk.peer.sendFrame(Buffer.from([0x92, 0x01])); // an array of 2 holding 1 value
    expect(await junk.peer.byeCode()).toBe('ERR_DECODE');
    const big = await dial();
    big.peer.sendRaw(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    expect(await big.peer.byeCode()).toBe('ERR_FRAME_TOO_LARGE');
  });

  it('two hostile peers can handshake with each other (the harness alone, both roles)', async () => {
    const listener = await HostilePeer.listen();
    cleanup.push(listener.close);
    const dialer = await HostilePeer.connect('127.0.0.1', listener.port);
    cleanup.push(() => dialer.close());
    const accepted = await listener.next();
    const [d, a] = await Promise.all([
      dialer.handshake({ role: 'dialer', secret: 's', outcomeTimeoutMs: 100 }),
      accepted.handshake({ role: 'acceptor', secret: 's', outcomeTimeoutMs: 100 }),
    ]);
    expect(d.auth?.mac).toHaveLength(32);
    expect(a.auth?.signature).toHaveLength(64);
    // Each checks the other's proof with the harness's own verify.
    const t = d.transcript!;
    expect(
      verifyBytes(
        d.hello.publicKey as Buffer,
        transcriptBytes('signature', 'acceptor', t),
        d.auth!.signature as Buffer,
      ),
    ).toBe(true);
    expect(
      verifyBytes(
        a.hello.publicKey as Buffer,
        transcriptBytes('signature', 'dialer', a.transcript!),
        a.auth!.signature as Buffer,
      ),
    ).toBe(true);
  });
});
