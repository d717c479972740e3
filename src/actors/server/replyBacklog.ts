/**
 * The replies a client has not yet said it read, and how long the oldest has waited.
 *
 * A client that does not read is invisible to Node until the kernel's send buffer for its
 * socket is full (up to `net.ipv4.tcp_wmem`'s maximum, 4 MiB by default): at 100 replies a
 * second that is many minutes. Each tick may carry `ack`, the number of replies the client
 * has read on this connection (docs/protocol.md, section 4.5); with it, the age of the oldest
 * reply not acknowledged counts everything between our write and the client's read — Node's
 * buffer, the kernel's, the network and the client's own — and the responder cuts the client
 * when it passes `maxReplyDelayMs`.
 *
 * Send times are kept only once the client has sent an ack (a client without one costs
 * nothing here, and is judged on Node's buffer only). Their number is bounded by what the
 * responder lets through before it cuts: the replies of `maxReplyDelayMs`, at the paced rate.
 */
export class ReplyBacklog {
  /** Replies handed to the socket on this connection. */
  private sent = 0;
  /** The highest ack received (replies the client says it read). */
  private acked = 0;
  private tracking = false;
  /** Send times (monotonic ms) of replies `first` … `sent` − 1; the oldest at `head`. */
  private readonly times: number[] = [];
  private head = 0;
  private first = 0;

  /**
   * Takes a tick's ack. Returns false for an ack of more replies than were sent: no client
   * can have read those, so it lies (an ack lower than an earlier one is just late, and ignored).
   */
  acknowledge(ack: number): boolean {
    if (ack > this.sent) return false;
    if (!this.tracking) {
      // Replies sent before the first ack have no time: they are not judged.
      this.tracking = true;
      this.first = this.sent;
    }
    if (ack > this.acked) this.acked = ack;
    // The newly acknowledged replies leave the front (only those whose time is kept).
    const read = Math.min(this.acked - this.first, this.times.length - this.head);
    if (read > 0) {
      this.head += read;
      this.first += read;
    }
    if (this.head > 64 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
    return true;
  }

  /** A reply was handed to the socket at `nowMs` (monotonic). */
  recordSent(nowMs: number): void {
    this.sent += 1;
    if (this.tracking) this.times.push(nowMs);
  }

  /** How long the oldest reply not acknowledged has waited (ms); 0 when there is none. */
  oldestUnreadMs(nowMs: number): number {
    return this.head < this.times.length ? nowMs - this.times[this.head]! : 0;
  }

  /** Replies sent and not acknowledged, as far as they are judged (for tests and reports). */
  get unread(): number {
    return this.times.length - this.head;
  }
}
