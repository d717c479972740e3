import { SimulatedClock } from 'xstate';
import { simulatedClock } from '../../src/time';
import { StallMeter } from '../../src/time/stallMeter';
import { CLOCK_RATE_SLACK, TickPace } from '../../src/time/tickPace';

describe('TickPace (by arrival)', () => {
  test.each([1, 2, 20, 100])('back to back, exactly the burst (%i) is admitted', (burst) => {
    const pace = new TickPace(10, burst);
    let admitted = 0;
    while (pace.admit(1000) && admitted < 10_000) admitted += 1;
    expect(admitted).toBe(burst);
  });

  test('a client at exactly the minimum interval for 100,000 ticks is never cut (clock-rate slack)', () => {
    const pace = new TickPace(10, 20);
    let admitted = 0;
    for (let i = 0; i < 100_000; i++)
      if (pace.admit(i * 10 * (1 - CLOCK_RATE_SLACK / 2))) admitted += 1;
    expect(admitted).toBe(100_000);
  });

  test('a client 2% faster than the minimum interval is cut once it is 20 ahead', () => {
    const pace = new TickPace(10, 20);
    let i = 0;
    while (pace.admit(i * 9.8) && i < 100_000) i += 1;
    expect(i).toBeGreaterThan(1000);
    expect(i).toBeLessThan(2000);
  });

  test('a quiet spell earns no more than the burst', () => {
    const pace = new TickPace(10, 20);
    expect(pace.admit(0)).toBe(true);
    let admitted = 0;
    while (pace.admit(60_000) && admitted < 10_000) admitted += 1;
    expect(admitted).toBe(20);
  });

  test('credit for a stall of the server admits the ticks that waited in it, and no more', () => {
    const pace = new TickPace(10, 20);
    for (let i = 0; i <= 100; i++) expect(pace.admit(i * 10)).toBe(true);
    // A 1 s stall: 100 ticks sent at the pace arrive at once at 2000 ms.
    let admitted = 0;
    while (pace.admit(2000, 1000) && admitted < 10_000) admitted += 1;
    expect(admitted).toBeGreaterThanOrEqual(100);
    expect(admitted).toBeLessThanOrEqual(100 + 21);
  });
});

describe('StallMeter', () => {
  test('sees a stall of its clock, credits reads right after it, and nothing later', () => {
    const sim = new SimulatedClock();
    const clock = simulatedClock(sim);
    const meter = new StallMeter(clock);
    const release = meter.hold();
    for (let i = 0; i < 10; i++) sim.increment(10);
    expect(meter.stallBefore(clock.now())).toBe(0);
    sim.increment(500); // the beat runs 490 ms late: a stall
    expect(meter.longestMs).toBeGreaterThanOrEqual(500);
    expect(meter.stallBefore(clock.now())).toBeGreaterThanOrEqual(500);
    for (let i = 0; i < 100; i++) sim.increment(10);
    expect(meter.stallBefore(clock.now())).toBe(0);
    release();
  });
});
