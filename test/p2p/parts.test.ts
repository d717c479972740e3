import fc from 'fast-check';
import { Membership } from '../../src/p2p/membership';
import { TokenBucket } from '../../src/p2p/tokenBucket';
import { Uploader, type UploadLink } from '../../src/p2p/uploader';
import { Bitfield } from '../../src/storage/bitfield';
import type { StoredFile } from '../../src/storage/chunkStore';
import { manifestOfBuffer } from '../../src/storage/manifest';
import type { PeerEntry, PeerMessage } from '../../src/transport';

describe('token bucket', () => {
  it('property: over any schedule of sends, bytes sent ≤ rate × time + one send + burst', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 10_000_000 }),
        fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 1, maxLength: 200 }),
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 200 }),
        (rate, sizes, gaps) => {
          const burst = 16 * 1024;
          const bucket = new TokenBucket(rate, burst, 0);
          let now = 0;
          let sent = 0;
          for (const [i, size] of sizes.entries()) {
            now += gaps[i % gaps.length]!;
            now += bucket.delay(now); // wait as told
            expect(bucket.delay(now)).toBeCloseTo(0, 6);
            bucket.take(size, now);
            sent += size;
            expect(sent).toBeLessThanOrEqual((rate * now) / 1000 + burst + size + 1e-6);
          }
        },
      ),
    );
  });

  it('sustains its rate: 100 chunks of 64 KiB at 1 MiB/s take 6.25 s of (simulated) time', () => {
    const bucket = new TokenBucket(1024 * 1024, 64 * 1024, 0);
    let now = 0;
    for (let i = 0; i < 100; i++) {
      now += bucket.delay(now);
      bucket.take(64 * 1024, now);
    }
    expect(now).toBeCloseTo(99 * 62.5, 6);
  });
});

const entry = (peerId: string, seq = 1, extra: Partial<PeerEntry> = {}): PeerEntry => ({
  peerId,
  host: '127.0.0.1',
  port: 7000,
  seq,
  complete: false,
  offers: [],
  ...extra,
});

describe('membership', () => {
  it('keeps the freshest entry of each peer and passes on only what changed', () => {
    const m = new Membership(entry('me'));
    expect(m.merge([entry('a'), entry('b')]).map((e) => e.peerId)).toEqual(['a', 'b']);
    expect(m.merge([entry('a')])).toEqual([]);
    expect(m.merge([entry('a', 2, { complete: true })])).toHaveLength(1);
    expect(m.merge([entry('a', 1)])).toEqual([]);
    expect(m.get('a')?.entry.complete).toBe(true);
    expect(m.merge([entry('me', 99)])).toEqual([]);
  });

  it('fills in an empty host from where the sender is seen, only for the sender itself', () => {
    const m = new Membership(entry('me'));
    m.merge([entry('a', 1, { host: '' }), entry('b', 1, { host: '' })], {
      peerId: 'a',
      host: '10.9.9.9',
    });
    expect(m.get('a')?.entry.host).toBe('10.9.9.9');
    expect(m.get('b')).toBeUndefined();
  });

  it('drops entries offering unsafe names, and caps how many peers it remembers', () => {
    const m = new Membership(entry('me'), { maxPeers: 3 });
    m.merge([entry('bad', 1, { offers: ['../x'] })]);
    expect(m.get('bad')).toBeUndefined();
    m.merge(Array.from({ length: 10 }, (_, i) => entry(`p${i}`)));
    expect(m.others()).toHaveLength(3);
  });

  it('dials unknown peers, incomplete first, and forgets none of the dead or banned', () => {
    const m = new Membership(entry('me'));
    m.merge([entry('done', 1, { complete: true }), entry('busy'), entry('dead'), entry('todo')]);
    m.setStatus('dead', 'dead', { code: 'ECONNREFUSED', message: 'refused' });
    m.markBusy('busy', 1000);
    expect(m.candidates(0).map((c) => c.entry.peerId)).toEqual(['todo', 'done']);
    expect(
      m
        .candidates(2000)
        .map((c) => c.entry.peerId)
        .sort(),
    ).toEqual(['busy', 'done', 'todo']);
    m.setStatus('todo', 'banned', { code: 'ERR_BAD_CHUNKS', message: 'liar' });
    m.setStatus('todo', 'unknown');
    expect(m.get('todo')?.status).toBe('banned');
    // Only proven peers make anyone wait: 'busy' was only gossiped so far…
    expect(m.othersComplete()).toBe(true);
    // …until its own record vouches for it (§9.8).
    const busy = m.get('busy')!.entry;
    m.vouch('busy', busy.host, busy.port);
    expect(m.isVouched(busy)).toBe(true);
    expect(m.othersComplete()).toBe(false);
    m.markComplete('busy', 1);
    expect(m.othersComplete()).toBe(true);
  });

  it('bumps its own seq only when something changes', () => {
    const m = new Membership(entry('me', 0));
    expect(m.updateSelf({ complete: false })).toBeNull();
    expect(m.updateSelf({ complete: true })?.seq).toBe(1);
    expect(m.updateSelf({ offers: ['a'] })?.seq).toBe(2);
  });
});

/** A fake clock with a timer queue: `advance` runs due timers in order. */
function fakeClock() {
  let now = 0;
  const timers: Array<{ at: number; fn: () => void; id: number }> = [];
  let nextId = 1;
  return {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => {
      const id = nextId++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (id: unknown) => {
      const at = timers.findIndex((t) => t.id === id);
      if (at >= 0) timers.splice(at, 1);
    },
    async advance(ms: number) {
      const end = now + ms;
      for (;;) {
        await new Promise((r) => setImmediate(r));
        timers.sort((a, b) => a.at - b.at);
        const due = timers[0];
        if (!due || due.at > end) break;
        timers.shift();
        now = due.at;
        due.fn();
      }
      now = end;
      await new Promise((r) => setImmediate(r));
    },
  };
}

function memoryFile(name: string, data: Buffer, chunkSize: number): StoredFile {
  const manifest = manifestOfBuffer(name, data, chunkSize);
  const count = Math.ceil(data.length / chunkSize);
  return {
    manifest,
    path: name,
    have: Bitfield.full(count),
    complete: true,
    read: async (i) => data.subarray(i * chunkSize, (i + 1) * chunkSize),
    close: async () => undefined,
  };
}

function link(): UploadLink & { got: PeerMessage[] } {
  const got: PeerMessage[] = [];
  return { got, send: (m) => got.push(m), bufferedBytes: 0, isClosed: false };
}

describe('uploader', () => {
  const data = Buffer.alloc(10 * 1000, 7);
  const file = memoryFile('f', data, 1000);

  it('serves links round robin within the upload cap, and answers what it cannot serve', async () => {
    const clock = fakeClock();
    const up = new Uploader({
      clock,
      lookup: (name) => (name === 'f' ? file : undefined),
      limiter: new TokenBucket(10_000, 1000, 0), // 10 chunks per second
    });
    const a = link();
    const b = link();
    up.attach('a', a);
    up.attach('b', b);
    for (let i = 0; i < 5; i++) up.request('a', 'f', i);
    for (let i = 5; i < 10; i++) up.request('b', 'f', i);
    up.request('a', '/etc/passwd', 0);
    up.request('a', 'f', 10);
    await clock.advance(450);
    const chunks = (l: { got: PeerMessage[] }) => l.got.filter((m) => m.type === 'chunk').length;
    // ~5 chunks in 450 ms at 10/s, shared evenly.
    expect(chunks(a) + chunks(b)).toBeGreaterThanOrEqual(4);
    expect(chunks(a) + chunks(b)).toBeLessThanOrEqual(6);
    expect(Math.abs(chunks(a) - chunks(b))).toBeLessThanOrEqual(1);
    expect(
      a.got.filter((m) => m.type === 'reject').map((m) => (m as { code: string }).code),
    ).toEqual(['ERR_NO_CHUNK', 'ERR_NO_CHUNK']);
    await clock.advance(1000);
    expect(chunks(a)).toBe(5);
    expect(chunks(b)).toBe(5);
    expect(up.bytesSent).toBe(10_000);
    up.stop();
  });

  it('a cancelled request costs nothing', async () => {
    const clock = fakeClock();
    const up = new Uploader({ clock, lookup: () => file, limiter: new TokenBucket(1000, 1000, 0) });
    const a = link();
    up.attach('a', a);
    up.request('a', 'f', 0);
    up.request('a', 'f', 1);
    up.cancel('a', 'f', 1);
    await clock.advance(5000);
    expect(
      a.got.filter((m) => m.type === 'chunk').map((m) => (m as { index: number }).index),
    ).toEqual([0]);
    up.stop();
  });

  it('answers ERR_BUSY beyond its queue bound', async () => {
    const clock = fakeClock();
    const up = new Uploader({
      clock,
      lookup: () => file,
      limiter: new TokenBucket(1, 1, 0),
      maxQueuePerLink: 2,
    });
    const a = link();
    up.attach('a', a);
    for (let i = 0; i < 5; i++) up.request('a', 'f', i);
    await clock.advance(1);
    expect(
      a.got.filter((m) => m.type === 'reject').map((m) => (m as { code: string }).code),
    ).toEqual(['ERR_BUSY', 'ERR_BUSY']);
    up.stop();
  });
});
