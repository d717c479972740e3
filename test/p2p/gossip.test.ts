import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { addressScopeFrom, classifyAddress, scopeOf } from '../../src/p2p/addressScope';
import { DialPlanner } from '../../src/p2p/gossip/dialPlanner';
import { bytesToIp, ipToBytes } from '../../src/p2p/gossip/ipBytes';
import {
  MAX_RECORD_TTL_MS,
  peerRecordBytes,
  RECORD_CONTEXT,
  type SignedPeerRecord,
  signPeerRecord,
  verifyPeerRecord,
} from '../../src/p2p/gossip/peerRecord';
import { RecordBook } from '../../src/p2p/gossip/recordBook';
import { generateIdentity, type PeerIdentity } from '../../src/p2p/identity';

const NOW = Date.UTC(2026, 11, 1);
const alice = generateIdentity().identity;
const bob = generateIdentity().identity;

describe('IP bytes', () => {
  it.each([
    ['127.0.0.1', '7f000001', '127.0.0.1'],
    ['::1', '00000000000000000000000000000001', '::1'],
    ['0:0:0:0:0:0:0:1', '00000000000000000000000000000001', '::1'],
    ['2001:DB8::1:0:0:1', '20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['::ffff:10.0.0.1', '00000000000000000000ffff0a000001', '::ffff:10.0.0.1'],
    ['fe80::1:2', 'fe800000000000000000000000010002', 'fe80::1:2'],
  ])('%s ↔ bytes', (text, hex, canonical) => {
    expect(ipToBytes(text)?.toString('hex')).toBe(hex);
    expect(bytesToIp(Buffer.from(hex, 'hex'))).toBe(canonical);
  });

  it('refuses names, zone IDs and garbage', () => {
    for (const host of ['localhost', 'fe80::1%eth0', '1.2.3', '', '01.2.3.4', '::g']) {
      expect(ipToBytes(host)).toBeNull();
    }
  });

  it('round-trips every IPv6 address through its canonical text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const text = bytesToIp(bytes)!;
        expect(ipToBytes(text)?.equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.ipV6(), (text) => {
        const bytes = ipToBytes(text);
        expect(bytes).not.toBeNull();
        expect(ipToBytes(bytesToIp(bytes!)!)?.equals(bytes!)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('address scope', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.1.1', 'private'],
    ['fd00::5', 'private'],
    ['fe80::1', 'private'],
    ['100.64.0.1', 'private'],
    ['8.8.8.8', 'public'],
    ['172.32.0.1', 'public'],
    ['2606:4700::1111', 'public'],
    ['0.0.0.0', 'forbidden'],
    ['::', 'forbidden'],
    ['255.255.255.255', 'forbidden'],
    ['224.0.0.1', 'forbidden'],
    ['239.255.255.250', 'forbidden'],
    ['ff02::1', 'forbidden'],
    ['192.0.2.1', 'forbidden'],
    ['198.51.100.7', 'forbidden'],
    ['203.0.113.9', 'forbidden'],
    ['2001:db8::1', 'forbidden'],
    ['198.18.0.1', 'forbidden'],
    ['::ffff:0.0.0.0', 'forbidden'],
  ])('%s is %s', (host, c) => expect(classifyAddress(host)).toBe(c));

  it('a loopback swarm never leaves loopback', () => {
    const scope = addressScopeFrom([{ host: '127.0.0.1', port: 7000 }, { host: 'localhost' }]);
    expect([...scope.classes]).toEqual(['loopback']);
    expect(scope.check('127.0.0.5', 7001)).toEqual({ ok: true, addressClass: 'loopback' });
    for (const host of ['10.0.0.1', '192.168.0.2', '8.8.8.8', 'fd00::1']) {
      expect(scope.check(host, 53)).toEqual({
        ok: false,
        code: 'ERR_ADDRESS_SCOPE',
        reason: 'out-of-scope',
      });
    }
    expect(scope.check('0.0.0.0', 7000)).toMatchObject({ reason: 'forbidden-range' });
    expect(scope.check('127.0.0.1', 0)).toMatchObject({ reason: 'bad-port' });
    expect(scope.check('example.com', 80)).toMatchObject({ reason: 'not-an-ip' });
  });

  it('private ranges only when the user’s own addresses are private; unspecified says nothing', () => {
    const lan = addressScopeFrom([{ host: '0.0.0.0' }, { host: '192.168.1.20', port: 7000 }]);
    expect([...lan.classes]).toEqual(['private']);
    expect(lan.check('10.0.0.9', 7000).ok).toBe(true);
    expect(lan.check('127.0.0.1', 22).ok).toBe(false);
    expect(lan.check('8.8.8.8', 53).ok).toBe(false);
    expect([...addressScopeFrom([{ host: '0.0.0.0' }, { host: '::' }]).classes]).toEqual([]);
    const wan = addressScopeFrom([{ host: '203.0.114.1' }]);
    expect(wan.check('10.0.0.1', 1).ok).toBe(false);
    expect(wan.check('9.9.9.9', 1).ok).toBe(true);
  });

  it('never allows a forbidden address, whatever the scope', () => {
    const all = scopeOf(['loopback', 'private', 'public']);
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 0, max: 70_000 }), (h, p) => {
        const check = all.check(h, p);
        if (check.ok) {
          expect(classifyAddress(h)).not.toBe('forbidden');
          expect(p).toBeGreaterThan(0);
          expect(p).toBeLessThanOrEqual(65_535);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

const fields = (overrides: Partial<Parameters<typeof signPeerRecord>[1]> = {}) => ({
  seq: 1,
  expiresAt: NOW + 60_000,
  complete: false,
  addresses: [{ host: '127.0.0.1', port: 7000 }],
  ...overrides,
});
const claimOf = (r: SignedPeerRecord) => ({ ...r, peerId: r.peerId as string });

describe('signed peer records', () => {
  it('are the documented bytes', () => {
    const bytes = peerRecordBytes(alice.peerId, fields({ complete: true }));
    const head = Buffer.from(`${RECORD_CONTEXT}\0`, 'ascii');
    expect(bytes.subarray(0, head.length).equals(head)).toBe(true);
    const rest = bytes.subarray(head.length + 32);
    expect(rest.readBigUInt64BE(0)).toBe(1n);
    expect(rest.readBigUInt64BE(8)).toBe(BigInt(NOW + 60_000));
    expect([...rest.subarray(16, 18)]).toEqual([1, 1]);
    expect(rest.subarray(18).toString('hex')).toBe('047f0000011b58');
  });

  it('verify when untouched, and not when any field or the subject changes', () => {
    const record = signPeerRecord(alice, fields());
    expect(verifyPeerRecord(claimOf(record), { nowWallMs: NOW }).ok).toBe(true);
    const altered = [
      { seq: 2 },
      { expiresAt: NOW + 59_000 },
      { complete: true },
      { addresses: [{ host: '127.0.0.2', port: 7000 }] },
      { addresses: [...record.addresses, { host: '127.0.0.1', port: 22 }] },
    ];
    for (const change of altered) {
      expect(verifyPeerRecord({ ...claimOf(record), ...change }, { nowWallMs: NOW })).toMatchObject(
        { ok: false, code: 'ERR_BAD_SIGNATURE' },
      );
    }
    expect(
      verifyPeerRecord({ ...claimOf(record), peerId: bob.peerId }, { nowWallMs: NOW }),
    ).toMatchObject({ ok: false, code: 'ERR_PEER_ID_MISMATCH' });
  });

  it('expire, and cannot claim a life longer than the maximum', () => {
    const record = signPeerRecord(alice, fields());
    expect(verifyPeerRecord(claimOf(record), { nowWallMs: NOW + 60_000 })).toMatchObject({
      ok: false,
      code: 'ERR_BAD_RECORD',
      reason: 'expired',
    });
    const forever = signPeerRecord(alice, fields({ expiresAt: NOW + MAX_RECORD_TTL_MS + 1 }));
    expect(verifyPeerRecord(claimOf(forever), { nowWallMs: NOW })).toMatchObject({
      reason: 'ttl-too-long',
    });
  });

  it('refuse DNS names, port 0, duplicates and more than 8 addresses', () => {
    const bad = [
      [{ host: 'evil.example', port: 1 }],
      [{ host: '127.0.0.1', port: 0 }],
      [
        { host: '::1', port: 5 },
        { host: '0::1', port: 5 },
      ],
      Array.from({ length: 9 }, (_, i) => ({ host: '127.0.0.1', port: 1000 + i })),
    ];
    for (const addresses of bad) {
      expect(() => signPeerRecord(alice, fields({ addresses }))).toThrow(RangeError);
      const record = signPeerRecord(alice, fields());
      expect(verifyPeerRecord({ ...claimOf(record), addresses }, { nowWallMs: NOW })).toMatchObject(
        { ok: false, code: 'ERR_BAD_RECORD', reason: 'malformed' },
      );
    }
  });
});

describe('RecordBook', () => {
  const signed = (id: PeerIdentity, seq: number) => signPeerRecord(id, fields({ seq }));

  it('keeps the highest seq; only new or newer records are worth forwarding', () => {
    const book = new RecordBook({ self: bob.peerId });
    expect(book.offer(signed(alice, 2), alice.peerId)).toBe('new');
    expect(book.offer(signed(alice, 2), alice.peerId)).toBe('stale');
    expect(book.offer(signed(alice, 1), alice.peerId)).toBe('stale');
    expect(book.offer(signed(alice, 3), bob.peerId)).toBe('newer');
    expect(book.get(alice.peerId)?.seq).toBe(3);
    expect(book.offer(signed(bob, 9), alice.peerId)).toBe('self');
  });

  it('a flood of fresh identities from one source stops at its quota; first-hand records still get in', () => {
    const book = new RecordBook({ self: bob.peerId, maxRecords: 8, maxPerSource: 4 });
    const flooder = generateIdentity().identity;
    const outcomes = Array.from({ length: 20 }, () =>
      book.offer(signed(generateIdentity().identity, 1), flooder.peerId),
    );
    expect(outcomes.filter((o) => o === 'new')).toHaveLength(4);
    expect(outcomes.filter((o) => o === 'source-full')).toHaveLength(16);
    for (let i = 0; i < 4; i++) {
      const relay = generateIdentity().identity;
      book.offer(signed(generateIdentity().identity, 1), relay.peerId);
    }
    expect(book.size).toBe(8);
    const honest = generateIdentity().identity;
    expect(book.offer(signed(honest, 1), honest.peerId)).toBe('new');
    expect(book.size).toBe(8);
    expect(book.get(honest.peerId)).toBeDefined();
  });

  it('drops expired records', () => {
    const book = new RecordBook({ self: bob.peerId });
    book.offer(signed(alice, 1), alice.peerId);
    expect(book.records(NOW)).toHaveLength(1);
    expect(book.prune(NOW + 60_000)).toEqual([alice.peerId]);
    expect(book.size).toBe(0);
  });
});

/** A clock the test moves by hand. */
function manualClock(start = 1000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('DialPlanner', () => {
  const loopback = scopeOf(['loopback']);

  it('dials user addresses, then first-hand ones, then records — and nothing only claimed', () => {
    const clock = manualClock();
    const planner = new DialPlanner({ clock, scope: loopback, dialBurst: 10, dialsPerSecond: 10 });
    planner.addRecord(
      signPeerRecord(alice, fields({ addresses: [{ host: '127.0.0.3', port: 3 }] })),
    );
    planner.addFirstHand(bob.peerId, '127.0.0.2', 2);
    planner.addUserAddress('10.9.9.9', 1); // the user's word counts, even outside the scope
    const order = [planner.next(), planner.next(), planner.next()].map((t) => t?.source);
    expect(order).toEqual(['user', 'first-hand', 'record']);
    expect(planner.next()).toBeNull();
  });

  it('refuses learned addresses outside the scope; one target per address, whoever names it', () => {
    const clock = manualClock();
    const planner = new DialPlanner({ clock, scope: loopback });
    const record = signPeerRecord(
      alice,
      fields({
        addresses: [
          { host: '127.0.0.1', port: 22 },
          { host: '10.0.0.1', port: 22 },
          { host: '8.8.8.8', port: 53 },
          { host: '0.0.0.0', port: 7000 },
        ],
      }),
    );
    expect(planner.addRecord(record).map((c) => c.ok)).toEqual([true, false, false, false]);
    for (let i = 0; i < 50; i++) {
      const sybil = generateIdentity().identity;
      planner.addRecord(
        signPeerRecord(sybil, fields({ addresses: [{ host: '127.0.0.1', port: 22 }] })),
      );
    }
    expect(planner.size).toBe(1);
    expect(planner.next()).toMatchObject({ host: '127.0.0.1', port: 22, peerId: alice.peerId });
  });

  it('rate-limits dials and caps handshakes in progress', () => {
    const clock = manualClock();
    const planner = new DialPlanner({
      clock,
      scope: loopback,
      dialsPerSecond: 2,
      dialBurst: 2,
      maxHandshakes: 3,
    });
    for (let port = 1; port <= 10; port++) planner.addFirstHand(alice.peerId, '127.0.0.1', port);
    const first = [planner.next(), planner.next(), planner.next()];
    expect(first.filter(Boolean)).toHaveLength(2); // burst of 2
    expect(planner.waitMs()).toBe(500);
    clock.advance(500);
    const third = planner.next();
    expect(third).not.toBeNull();
    clock.advance(10_000);
    expect(planner.next()).toBeNull(); // 3 handshakes in progress
    planner.finished(third!, 'failed');
    expect(planner.next()).not.toBeNull();
  });

  it('backs off per address, doubling, and forgets a learned address after maxFailures', () => {
    const clock = manualClock();
    const planner = new DialPlanner({
      clock,
      scope: loopback,
      dialsPerSecond: 1000,
      dialBurst: 1000,
      backoffInitialMs: 100,
      backoffMaxMs: 350,
      maxFailures: 4,
    });
    planner.addFirstHand(alice.peerId, '127.0.0.1', 9);
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const ticket = planner.next();
      expect(ticket).not.toBeNull();
      planner.finished(ticket!, 'failed');
      waits.push(planner.waitMs());
      expect(planner.next()).toBeNull();
      clock.advance(planner.waitMs() === Number.POSITIVE_INFINITY ? 0 : planner.waitMs());
    }
    expect(waits).toEqual([100, 200, 350, Number.POSITIVE_INFINITY]);
    expect(planner.size).toBe(0);
  });

  it('under any flood of gossip, dials stay within the rate and maxFailures per address', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.integer({ min: 1, max: 40 }), fc.constantFrom('127.0.0.1', '8.8.8.8')),
          {
            maxLength: 200,
          },
        ),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 200 }),
        (entries, steps) => {
          const clock = manualClock(0);
          const planner = new DialPlanner({
            clock,
            scope: loopback,
            dialsPerSecond: 5,
            dialBurst: 5,
            maxHandshakes: 4,
            backoffInitialMs: 10,
            maxFailures: 3,
          });
          for (const [port, host] of entries) planner.addFirstHand(alice.peerId, host, port);
          const dials: Array<{ at: number; key: string }> = [];
          for (const step of steps) {
            clock.advance(step);
            for (let i = 0; i < 10; i++) {
              const t = planner.next();
              if (!t) break;
              expect(t.host).toBe('127.0.0.1');
              dials.push({ at: clock.now(), key: `${t.host}:${t.port}` });
              planner.finished(t, 'failed');
            }
          }
          const perAddress = new Map<string, number>();
          for (const d of dials) perAddress.set(d.key, (perAddress.get(d.key) ?? 0) + 1);
          for (const n of perAddress.values()) expect(n).toBeLessThanOrEqual(3);
          const elapsed = clock.now();
          expect(dials.length).toBeLessThanOrEqual(5 + Math.floor((elapsed * 5) / 1000) + 1);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a connected address is not dialed again until its connection closes', () => {
    const clock = manualClock();
    const planner = new DialPlanner({ clock, scope: loopback });
    planner.addUserAddress('127.0.0.1', 7000);
    const t = planner.next()!;
    planner.finished(t, 'connected');
    clock.advance(60_000);
    expect(planner.next()).toBeNull();
    planner.finished(t, 'closed');
    expect(planner.next()).toMatchObject({ port: 7000 });
    expect(planner.addUserAddress('127.0.0.1', 0)).toMatchObject({ ok: false, reason: 'bad-port' });
  });

  it('forgets what a banned peer vouched for', () => {
    const planner = new DialPlanner({ clock: manualClock(), scope: loopback });
    planner.addRecord(signPeerRecord(alice, fields()));
    planner.forgetPeer(alice.peerId);
    expect(planner.size).toBe(0);
    expect(randomBytes(1)).toHaveLength(1);
  });
});
