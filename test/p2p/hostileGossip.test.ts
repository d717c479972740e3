import {
  AnnouncementQuotas,
  addressScopeFrom,
  DEFAULT_QUOTAS,
  DialPlanner,
  type DialTicket,
  manifestClaimFromWire,
  RecordBook,
  recordClaimFromWire,
  verifyPeerRecord,
  verifySignedManifest,
} from '../../src/p2p';
import { generateIdentity, parsePeerId } from '../../src/p2p/identity';
import { parsePeerMessageV2 } from '../../src/transport/peerProtocolV2';
import { hostileKey } from '../helpers/hostileCrypto';
import { hugeHashManifest, recordFlood } from '../helpers/hostilePeer';

/**
 * The gossip and announcement attacks of issue 9, replayed through the pure pieces (schemas →
 * verify → record book → dial planner; quotas), with messages built by the hostile harness.
 * The peer uses all of them but `DialPlanner`: its own dial rule is `planDials`
 * (p2p/peer.simulated.test.ts); attacks.*.tcp.test.ts replay the attacks against real peers.
 */
const NOW = Date.UTC(2026, 11, 1);
const ip4 = (text: string) => Buffer.from(text.split('.').map(Number));

function manualClock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('a gossip flood cannot turn a peer into a reflector', () => {
  it('995 entries naming outside and forbidden addresses cause no dial; loopback ones a bounded few', () => {
    const me = generateIdentity().identity;
    const attacker = hostileKey();
    // Data only: the planner hands out dial tickets, and no socket is opened in this test. Port
    // 0 would not do: it is never dialed, whatever the scope (§9.8), which is not what is tested.
    const targets = [
      { ip: ip4('127.0.0.1'), port: 7999 }, // a loopback address the victim never met
      { ip: ip4('10.0.0.1'), port: 22 },
      { ip: ip4('8.8.8.8'), port: 53 },
      { ip: ip4('192.0.2.1'), port: 80 },
      { ip: ip4('0.0.0.0'), port: 7000 },
    ];
    const flood = recordFlood(995, targets, NOW);
    const book = new RecordBook({ self: me.peerId });
    const clock = manualClock();
    const planner = new DialPlanner({
      clock,
      scope: addressScopeFrom([{ host: '127.0.0.1', port: 7000 }]),
    });
    let accepted = 0;
    for (const message of flood) {
      const parsed = parsePeerMessageV2(message);
      if (parsed.type !== 'records') throw new Error('not records');
      for (const wire of parsed.records) {
        const checked = verifyPeerRecord(recordClaimFromWire(wire), { nowWallMs: NOW });
        expect(checked.ok).toBe(true); // honestly signed: each by its own fresh identity
        if (!checked.ok) continue;
        if (book.offer(checked.value, parsePeerId(attacker.peerId)) !== 'new') continue;
        accepted += 1;
        planner.addRecord(checked.value);
      }
    }
    expect(accepted).toBe(64); // one source introduces at most 64 records
    expect(planner.size).toBe(1); // one in-scope address, however many records name it
    // A minute of dialing, every attempt failing (nobody proves the ID at 127.0.0.1:7999).
    const dials: DialTicket[] = [];
    for (let ms = 0; ms < 60_000; ms += 50) {
      clock.advance(50);
      for (let t = planner.next(); t; t = planner.next()) {
        dials.push(t);
        planner.finished(t, 'failed');
      }
    }
    expect(dials.every((d) => d.host === '127.0.0.1' && d.port === 7999)).toBe(true);
    expect(dials.length).toBeLessThanOrEqual(5); // maxFailures, then forgotten
  });
});

describe('announcements cost the announcer', () => {
  it('300 signed manifests of 1 MiB of hashes each stop at the per-peer cap', () => {
    const attacker = hostileKey();
    const quotas = new AnnouncementQuotas();
    let accepted = 0;
    let hashesHeld = 0;
    for (let i = 0; i < 300; i++) {
      const parsed = parsePeerMessageV2(hugeHashManifest(attacker, `bomb${i}.bin`, 32 * 1024));
      if (parsed.type !== 'manifest') throw new Error('not a manifest');
      const checked = verifySignedManifest(manifestClaimFromWire(parsed));
      expect(checked.ok).toBe(true);
      if (!checked.ok) continue;
      const charge = quotas.charge([parsePeerId(attacker.peerId)], checked.value.manifest);
      if (!charge.ok) {
        expect(charge.code).toBe('ERR_QUOTA');
        continue;
      }
      accepted += 1;
      hashesHeld += checked.value.manifest.chunkHashes.length;
    }
    expect(accepted).toBe(2);
    expect(hashesHeld).toBe(2 * 1024 * 1024); // 2 MiB held, not 300 MiB
  });

  // The default announced-bytes cap (256 GiB) lets a real 32 GiB file through: free disk
  // decides then (statfs, ERR_NO_SPACE: hostileQuotas.tcp.test.ts). A smaller cap refuses it.
  it('a valid 32 GiB manifest is refused by an announced-bytes cap below it, before any disk is touched', () => {
    const attacker = hostileKey();
    const parsed = parsePeerMessageV2(hugeHashManifest(attacker, 'big.bin', 32 * 1024, 1024 ** 2));
    if (parsed.type !== 'manifest') throw new Error('not a manifest');
    const checked = verifySignedManifest(manifestClaimFromWire(parsed));
    if (!checked.ok) throw new Error('does not verify');
    expect(checked.value.manifest.size).toBe(32 * 1024 ** 3);
    const id = parsePeerId(attacker.peerId);
    expect(new AnnouncementQuotas().check([id], checked.value.manifest)).toEqual({ ok: true });
    const capped = new AnnouncementQuotas({
      ...DEFAULT_QUOTAS,
      maxAnnouncedBytesPerPeer: 16 * 1024 ** 3,
    });
    expect(capped.charge([id], checked.value.manifest)).toEqual({
      ok: false,
      code: 'ERR_QUOTA',
      limit: 'bytes',
    });
  });
});
