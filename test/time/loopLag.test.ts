import type { Clock } from '../../src/time';
import { StallMeter } from '../../src/time/stallMeter';
import { TickPace } from '../../src/time/tickPace';

/**
 * A server loop, simulated: a turn runs the due timers (the stall meter's beat), then reads
 * the socket at some point of its poll phase, then stays busy. Time moves only by hand, so a
 * long turn is one where no timer runs — like a saturated event loop.
 */
function loop() {
  let now = 0;
  let timers: { at: number; fn: () => void }[] = [];
  const clock: Clock = {
    now: () => now,
    wallMicros: () => Math.round(now * 1000),
    setTimeout: (fn, ms) => {
      const timer = { at: now + ms, fn };
      timers.push(timer);
      return timer;
    },
    clearTimeout: (handle) => {
      timers = timers.filter((t) => t !== handle);
    },
  };
  const runTimers = () => {
    const due = timers.filter((t) => t.at <= now);
    timers = timers.filter((t) => t.at > now);
    for (const t of due) t.fn();
  };
  return {
    clock,
    /** One turn of `lengthMs`: timers, then a read `readAtMs` into it. */
    turn(lengthMs: number, readAtMs: number, read: (at: number) => void) {
      const start = now;
      runTimers();
      now = start + readAtMs;
      read(now);
      now = start + lengthMs;
    },
  };
}

describe('pacing under a saturated server loop (simulated, deterministic)', () => {
  test('an honest client is not cut when its socket is read early in one long turn and late in the next', () => {
    // The capacity bench's false positive: turns of 1.5 s and 1.7 s with no beat between; the
    // socket read early in the first and late in the second holds ~3.2 s of ticks, more than
    // the current turn alone (the beat is 1.65 s overdue) accounts for.
    const { clock, turn } = loop();
    const meter = new StallMeter(clock);
    const release = meter.hold();
    const pace = new TickPace(10, 20);
    let sent = 0;
    let refused = 0;
    const read = (at: number) => {
      // Every tick the client sent (one per 10 ms on its own clock) up to now.
      while (sent * 10 <= at) {
        if (!pace.admit(at, Math.min(5000, meter.stallBefore(at)))) refused += 1;
        sent += 1;
      }
    };
    for (let i = 0; i < 100; i++) turn(5, 1, read);
    for (const [length, readAt] of [
      [1500, 1],
      [1700, 1650],
      [1200, 5],
      [1600, 1550],
    ] as const)
      turn(length, readAt, read);
    for (let i = 0; i < 400; i++) turn(5, 1, read);
    release();
    expect(sent).toBeGreaterThan(800);
    expect(refused).toBe(0);
  });

  test('a flood read in a healthy loop is still cut after exactly the burst', () => {
    const { clock, turn } = loop();
    const meter = new StallMeter(clock);
    const release = meter.hold();
    const pace = new TickPace(10, 20);
    for (let i = 0; i < 100; i++) turn(5, 1, () => {});
    let admitted = 0;
    turn(5, 1, (at) => {
      while (admitted < 600 && pace.admit(at, meter.stallBefore(at))) admitted += 1;
    });
    release();
    expect(admitted).toBe(20);
  });
});
