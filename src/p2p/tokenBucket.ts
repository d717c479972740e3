/**
 * A token bucket for upload bandwidth, in bytes. Pure: the caller passes the time (ms, from
 * a monotonic clock), so tests need no timers.
 *
 * It allows debt: a send may take more tokens than are there (a 64 KiB chunk through a
 * 16 KiB bucket), and the next send waits until the debt is paid back. The long-run rate is
 * exactly `bytesPerSecond`; bursts never exceed `burstBytes` plus one send.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  /**
   * @param bytesPerSecond the sustained rate
   * @param burstBytes most tokens saved up while idle
   * @param now the time at creation
   * @param initialTokens tokens at creation (default 0: the bucket starts empty so nothing is
   *   sent above the rate); at most `burstBytes`
   */
  constructor(
    readonly bytesPerSecond: number,
    readonly burstBytes: number,
    now: number,
    initialTokens = 0,
  ) {
    if (!(bytesPerSecond > 0)) throw new RangeError('bytesPerSecond must be positive');
    this.tokens = Math.min(initialTokens, burstBytes);
    this.last = now;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(
        this.burstBytes,
        this.tokens + ((now - this.last) * this.bytesPerSecond) / 1000,
      );
      this.last = now;
    }
  }

  /** Milliseconds until a send may start (0: now). */
  delay(now: number): number {
    this.refill(now);
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.bytesPerSecond;
  }

  /** Records a send of `bytes` at `now` (call when {@link delay} is 0). */
  take(bytes: number, now: number): void {
    this.refill(now);
    this.tokens -= bytes;
  }

  /** Milliseconds until `amount` whole tokens are there (no debt: for counted events like dials). */
  delayFor(amount: number, now: number): number {
    this.refill(now);
    return this.tokens >= amount ? 0 : ((amount - this.tokens) * 1000) / this.bytesPerSecond;
  }

  /** Takes `amount` tokens if they are all there now; never goes into debt. */
  tryTake(amount: number, now: number): boolean {
    if (this.delayFor(amount, now) > 0) return false;
    this.tokens -= amount;
    return true;
  }
}
