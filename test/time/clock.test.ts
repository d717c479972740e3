import { calibrateWallAnchor, systemClock } from '../../src/time/clock';

describe('the system clock', () => {
  it('reads wall time in whole microseconds on the system clock (the same second as Date.now())', () => {
    const before = Date.now();
    const micros = systemClock.wallMicros();
    const after = Date.now();
    expect(Number.isInteger(micros)).toBe(true);
    // Generous bounds: a check of the units and the anchor, not of the machine's speed.
    expect(micros).toBeGreaterThan((before - 1000) * 1000);
    expect(micros).toBeLessThan((after + 1000) * 1000);
  });

  it('anchors the monotonic clock on the wall clock, the same way on every calibration', () => {
    const anchors = [calibrateWallAnchor(), calibrateWallAnchor(), calibrateWallAnchor()];
    for (const anchor of anchors) {
      expect(Number.isFinite(anchor)).toBe(true);
      expect(Math.abs(anchor - anchors[0]!)).toBeLessThan(1000); // ms: one calibration, not three
    }
  });
});
