import { fromCallback } from 'xstate';
import { describeError } from '../../errors';
import type { TimestampRow } from '../../storage';
import { acquireStallMeter, type Clock, TickPace } from '../../time';
import type { Bye, ServerConnection, Stamp } from '../../transport';
import { type Failure, failure } from '../errors';
import type { ConnectionLost } from '../shared';
import type { RecordSink } from '../writer';
import { type ExchangeLimits, idleLimitMs } from './limits';
import { ReplyBacklog } from './replyBacklog';

export interface ResponderInput {
  connection: ServerConnection;
  clock: Clock;
  /** The server's table: a row for each tick and each reply. */
  table: RecordSink<TimestampRow>;
  progressIntervalMs: number;
  limits: ExchangeLimits;
  /** The interval the client announced in its hello. */
  intervalMs: number;
  /**
   * A client whose oldest reply not acknowledged (tick `ack`) has waited longer than this is
   * cut off with `ERR_SLOW_CONSUMER` (see {@link ReplyBacklog}).
   */
  maxReplyDelayMs: number;
}

/** Asks the responder to stop answering and report its final count (`exchange.stopped`). */
export type ResponderCommand = { type: 'responder.stop' };

/** What the responder tells its handler: counts, and whatever ends the exchange. */
export type ResponderReport =
  /** Ticks answered so far: every `progressIntervalMs`, and before any event that ends it. */
  | { type: 'exchange.progress'; ticks: number }
  | { type: 'exchange.stopped'; ticks: number }
  | { type: 'protocol.violation'; error: Failure }
  | { type: 'client.bye'; message: Bye; at: Stamp }
  | ConnectionLost;

/**
 * Answers ticks on the data path, without a state transition per tick: at 100 Hz per client
 * and thousands of clients, a transition each would cost more than the answer itself (a
 * measured choice). t2 is the tick's arrival stamp, t3 is read right before the reply is
 * written. Only what changes the lifecycle (bye, violations, loss) and a periodic count reach
 * the handler machine.
 */
export const respondToTicks = fromCallback<ResponderCommand, ResponderInput, ResponderReport>(
  ({ input, sendBack, receive }) => {
    const { connection, clock, table, progressIntervalMs, limits } = input;
    const client = connection.remoteAddress;
    const server = connection.localAddress;
    const idleLimit = idleLimitMs(limits, input.intervalMs);
    let answered = 0;
    let reported = 0;
    let lastHeard = clock.now();
    // Paced by arrival on the monotonic clock (t1 is data): more than `tickBurst` ticks ahead
    // of one per minimum interval is a flood, unless they waited out a stall of this server.
    const pace = new TickPace(limits.minIntervalMs, limits.tickBurst);
    const stalls = acquireStallMeter(clock);
    const backlog = new ReplyBacklog();
    let stopped = false;
    const report = () => {
      if (answered !== reported) sendBack({ type: 'exchange.progress', ticks: answered });
      reported = answered;
    };
    const end = (event: ResponderReport) => {
      stopped = true;
      report();
      sendBack(event);
    };
    // Not reading: the oldest reply it has not acknowledged waited too long. A reply can only
    // be acknowledged by the next tick, so one interval is added. The socket goes at once (a
    // graceful close would wait on a client that does not read).
    const ackLimitMs = input.maxReplyDelayMs + Math.min(input.intervalMs, limits.maxIntervalMs);
    // Replies are timed on a clock that stands still while this server stalls, and a stall that
    // may still be going on is credited too: the server's own overload is not the client's.
    const unstalled = (now: number) => now - stalls.meter.stalledMs;
    const slowConsumer = (now: number): boolean => {
      const waitedMs = backlog.oldestUnreadMs(unstalled(now)) - stalls.meter.stallBefore(now);
      if (waitedMs <= ackLimitMs) return false;
      stopped = true; // what the socket says as it goes (closed) is not the reason
      connection.destroy();
      end({
        type: 'connection.lost',
        error: failure(
          'ERR_SLOW_CONSUMER',
          `client is not reading: a reply has waited ${Math.round(waitedMs)} ms for its ack (${backlog.unread} unacknowledged)`,
        ),
      });
      return true;
    };
    // Ahead of the pace. If this server was stalled longer than the credit it gives (its own
    // loop saturated), and long enough to bunch up a whole burst, it cannot tell a flood from
    // ticks that waited out its stall: that is its overload, not the client's pace, and it says
    // so (ERR_OVERLOADED, with the stall). With no credit at all (0), pacing is exact.
    const overloadedAfterMs = Math.max(
      limits.stallToleranceMs,
      limits.tickBurst * limits.minIntervalMs,
    );
    const tooFast = (stalledMs: number) =>
      limits.stallToleranceMs > 0 && stalledMs > overloadedAfterMs
        ? failure(
            'ERR_OVERLOADED',
            `server overloaded: its event loop stalled ${Math.round(stalledMs)} ms, beyond the ${limits.stallToleranceMs} ms it credits; ticks bunched up`,
          )
        : failure('ERR_RATE_LIMIT', `ticks faster than one per ${limits.minIntervalMs} ms`);
    let timer: unknown = null;
    const schedule = () => {
      timer = clock.setTimeout(
        () => {
          if (stopped) return;
          report();
          if (slowConsumer(clock.now())) return;
          // A client that trickles bytes without ever completing a message is silent too. Time
          // this server spent stalled is not the client's silence (its bytes may be waiting in
          // the kernel: timers run before the socket is read after a long turn).
          const now = clock.now();
          const silentMs = now - lastHeard - stalls.meter.stallBefore(now);
          if (silentMs > idleLimit) {
            end({
              type: 'protocol.violation',
              error: failure('ERR_IDLE_TIMEOUT', `no message for ${Math.round(silentMs)} ms`),
            });
          } else schedule();
        },
        Math.min(progressIntervalMs, idleLimit / 2),
      );
    };
    schedule();
    const subscription = connection.messages$.subscribe({
      next({ message, at }) {
        if (stopped) return;
        const now = clock.now();
        lastHeard = now;
        if (message.type !== 'tick') {
          if (message.type === 'bye') return end({ type: 'client.bye', message, at });
          return end({
            type: 'protocol.violation',
            error: failure('ERR_PROTOCOL', `unexpected ${message.type} after the handshake`),
          });
        }
        const stalledMs = stalls.meter.stallBefore(at.monoMs);
        if (!pace.admit(at.monoMs, Math.min(limits.stallToleranceMs, stalledMs))) {
          return end({ type: 'protocol.violation', error: tooFast(stalledMs) });
        }
        if (message.ack !== undefined && !backlog.acknowledge(message.ack)) {
          return end({
            type: 'protocol.violation',
            error: failure('ERR_PROTOCOL', `ack of ${message.ack} replies, more than were sent`),
          });
        }
        if (slowConsumer(now)) return;
        // The connection already dropped (a bad frame came in the same read): this reply could
        // not be sent, so neither row is written and the tick is not counted as answered.
        if (connection.isClosed) return;
        // t3 is read right before the reply is encoded and written (not queued): the server's
        // hold t3 − t2 is decode, validation and this, nothing else; the rows come after.
        const t3 = clock.wallMicros();
        connection.sendNow({
          type: 'reply',
          seq: message.seq,
          t1: message.t1,
          t2: at.wallMicros,
          t3,
        });
        backlog.recordSent(unstalled(now));
        table.write({ senderIp: client, receiverIp: server, timeMicros: message.t1 });
        table.write({ senderIp: server, receiverIp: client, timeMicros: t3 });
        answered += 1;
      },
      error(error) {
        if (!stopped) end({ type: 'connection.lost', error: describeError(error) });
      },
      complete() {
        if (stopped) return;
        end({
          type: 'connection.lost',
          error: failure('ERR_CONNECTION_CLOSED', 'client closed the connection'),
        });
      },
    });
    receive(() => {
      if (!stopped) end({ type: 'exchange.stopped', ticks: answered });
    });
    return () => {
      stopped = true;
      clock.clearTimeout(timer);
      stalls.release();
      subscription.unsubscribe();
    };
  },
);
