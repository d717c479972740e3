import { median } from 'simple-statistics';
import { fromCallback } from 'xstate';
import { describeError } from '../../errors';
import type { Logger } from '../../log/logger';
import { SessionStats, type Spread, spreadOf } from '../../measure/sessionStats';
import type { ExchangeRecord, TimestampRow } from '../../storage';
import { type Clock, type GridTick, startTickGrid } from '../../time';
import type { ClientConnection, ServerMessage, Stamp } from '../../transport';
import type { ConnectionLost, WireEvent } from '../shared';
import type { RecordSink } from '../writer';

/** What the session machine tells its ledger. */
export type LedgerCommand =
  | { type: 'ledger.table'; sink: RecordSink<TimestampRow> }
  | { type: 'ledger.exchanges'; sink: RecordSink<ExchangeRecord> }
  /**
   * Tick on this connection and read its replies (the ledger is its reader from now on). The
   * first one starts the tick grid (slot 0 now), which runs until draining or the finish.
   */
  | { type: 'ledger.online'; connection: ClientConnection }
  /** The link is gone: stop reading, log the ticks in flight as lost, count slots as offline. */
  | { type: 'ledger.offline' }
  /** The deadline passed: stop the grid, keep reading, report `ledger.drained` when none is left. */
  | { type: 'ledger.drain' }
  /** The session is over: stop everything, abandon what is in flight, report the totals. */
  | { type: 'ledger.finish' };

/** The counts a session reports and decides by, as the ledger last knew them. */
export interface LedgerCounts {
  ticksSent: number;
  replies: number;
  /** Replies for a tick not in flight (never sent, already answered, or given up on). */
  unexpectedReplies: number;
  /** Grid slots that passed without a tick (the process was too late for them). */
  missedSlots: number;
  /** Slots that came due while disconnected: not sent, counted. */
  offlineSlots: number;
  /** Ticks sent and not answered yet. */
  inFlight: number;
}

/** What the ledger tells the session machine. */
export type LedgerReport =
  /** About once a second of slots, and when draining starts: the counts and the RTT median. */
  | { type: 'ledger.progress'; counts: LedgerCounts; rttMedianMs: number | null }
  /** A tick came due while the oldest one in flight had waited past the reply timeout. */
  | { type: 'ledger.overdue' }
  /** Draining, and no tick is in flight any more. */
  | { type: 'ledger.drained' }
  | {
      type: 'ledger.finished';
      counts: LedgerCounts;
      rttMs: Spread | null;
      timerErrorMs: Spread | null;
    }
  /** Whatever the server sends besides replies, and the end of the link, for the machine. */
  | Exclude<WireEvent<'server', ServerMessage>, { type: 'server.reply' }>
  | ConnectionLost;

export interface LedgerInput {
  clock: Clock;
  intervalMs: number;
  durationMs: number;
  spinMs: number;
  /** A tick unanswered this long when the next one is due means the path is dead. */
  replyTimeoutMs: number;
  logger: Logger;
}

const closedMessage = 'server closed the connection';

/**
 * The data path of a client session, without a state transition per tick or reply (the
 * server's `respondToTicks` is the same idea): it runs the tick grid, writes each tick on the
 * current connection (t1 read right before the write), reads that connection, turns each
 * reply into rows and a round trip, and keeps the measurements. The session machine decides
 * everything that changes the session's course; this actor reports what those decisions need:
 * a reply overdue, the server's other messages, the link's end, draining done, and about once
 * a second the counts (for the progress line and the inspector). It never decides to
 * reconnect, drain or close.
 */
export const sessionLedger = fromCallback<LedgerCommand, LedgerInput, LedgerReport>(
  ({ input, sendBack, receive }) => {
    const { clock } = input;
    const stats = new SessionStats();
    const count = Math.round(input.durationMs / input.intervalMs);
    const reportEvery = Math.max(1, Math.ceil(1000 / input.intervalMs));
    const counts: LedgerCounts = {
      ticksSent: 0,
      replies: 0,
      unexpectedReplies: 0,
      missedSlots: 0,
      offlineSlots: 0,
      inFlight: 0,
    };
    let table: RecordSink<TimestampRow> | null = null;
    let exchanges: RecordSink<ExchangeRecord> | null = null;
    let connection: ClientConnection | null = null;
    let reading: { unsubscribe(): void } | null = null;
    let stopGrid: (() => void) | null = null;
    let draining = false;
    let finished = false;
    let recent: number[] = [];
    let lastMedian: number | null = null;
    let slotsSinceReport = 0;
    let sending = false;
    // Replies read on the current connection: each tick carries the count as its `ack`, so
    // the server can judge by time whether we read (docs/protocol.md, section 4.5).
    let repliesRead = 0;
    // An in-memory link answers (or fails) inside our own write: what it says then waits
    // until the tick is recorded.
    const early: Array<() => void> = [];
    const inOrder = (fn: () => void) => (sending ? early.push(fn) : fn());

    const snapshotCounts = (): LedgerCounts => ({ ...counts, inFlight: stats.inFlightCount });
    const progress = () => {
      if (recent.length > 0) lastMedian = median(recent);
      recent = [];
      slotsSinceReport = 0;
      sendBack({ type: 'ledger.progress', counts: snapshotCounts(), rttMedianMs: lastMedian });
    };

    // Ticks that will never be answered (session over, or their connection died) go to the
    // sidecar with empty t2..t4, so loss is visible there too.
    const abandon = () => {
      for (const tick of stats.takeUnanswered()) {
        exchanges?.write({
          seq: tick.seq,
          t1: tick.t1,
          t2: null,
          t3: null,
          t4: null,
          rttMicros: null,
          timerErrorMicros: tick.timerErrorMs * 1000,
        });
      }
    };
    const stopReading = () => {
      reading?.unsubscribe();
      reading = null;
      connection = null;
    };

    const onTick = (tick: GridTick) => {
      counts.missedSlots += tick.missedBefore;
      slotsSinceReport += 1 + tick.missedBefore;
      const link = connection;
      if (link === null) counts.offlineSlots += 1;
      else if (stats.sentBefore(tick.firedAt - input.replyTimeoutMs)) {
        // The path is dead even without FIN or RST: this slot is not sent, the machine decides.
        counts.offlineSlots += 1;
        stopReading();
        abandon();
        sendBack({ type: 'ledger.overdue' });
      } else {
        // Stamp and write at once; the bookkeeping waits until the tick is on the wire.
        const sentAt = clock.now();
        const t1 = clock.wallMicros();
        sending = true;
        try {
          link.sendNow({ type: 'tick', seq: tick.slot, t1, ack: repliesRead });
        } finally {
          sending = false;
        }
        table?.write({
          senderIp: link.localAddress,
          receiverIp: link.remoteAddress,
          timeMicros: t1,
        });
        stats.recordSent({
          seq: tick.slot,
          t1,
          sentAt,
          timerErrorMs: tick.firedAt - tick.dueAt,
        });
        counts.ticksSent += 1;
        while (early.length > 0) early.shift()!();
      }
      if (slotsSinceReport >= reportEvery) progress();
    };

    const onMessage = (link: ClientConnection, message: ServerMessage, at: Stamp) => {
      if (message.type !== 'reply') {
        sendBack({ type: `server.${message.type}`, message, at } as LedgerReport);
        return;
      }
      repliesRead += 1;
      table?.write({
        senderIp: link.remoteAddress,
        receiverIp: link.localAddress,
        timeMicros: message.t3,
      });
      // t4 and the round trip end when the reply's bytes arrived, not after decoding.
      const answered = stats.recordReply(message.seq, at.monoMs);
      if (!answered) {
        counts.unexpectedReplies += 1;
        input.logger.warn('reply for a tick not in flight', { seq: message.seq });
        return;
      }
      counts.replies += 1;
      exchanges?.write({
        seq: message.seq,
        t1: answered.tick.t1,
        t2: message.t2,
        t3: message.t3,
        t4: at.wallMicros,
        rttMicros: answered.rttMs * 1000,
        timerErrorMicros: answered.tick.timerErrorMs * 1000,
      });
      recent.push(answered.rttMs);
      if (draining && stats.inFlightCount === 0) sendBack({ type: 'ledger.drained' });
    };

    const read = (link: ClientConnection) => {
      stopReading();
      connection = link;
      repliesRead = 0;
      reading = link.messages$.subscribe({
        next: ({ message, at }) => inOrder(() => onMessage(link, message, at)),
        error: (error) =>
          inOrder(() => {
            stopReading();
            sendBack({ type: 'connection.lost', error: describeError(error) });
          }),
        complete: () =>
          inOrder(() => {
            stopReading();
            sendBack({
              type: 'connection.lost',
              error: { code: 'ERR_CONNECTION_CLOSED', message: closedMessage },
            });
          }),
      });
    };

    receive((command) => {
      if (finished) return;
      switch (command.type) {
        case 'ledger.online':
          read(command.connection);
          if (!draining)
            stopGrid ??= startTickGrid({
              clock,
              intervalMs: input.intervalMs,
              count,
              spinMs: input.spinMs,
              onTick,
            });
          return;
        case 'ledger.offline':
          stopReading();
          return abandon();
        case 'ledger.drain':
          stopGrid?.();
          draining = true;
          progress();
          if (stats.inFlightCount === 0) sendBack({ type: 'ledger.drained' });
          return;
        case 'ledger.finish':
          finished = true;
          stopGrid?.();
          stopReading();
          abandon();
          return sendBack({
            type: 'ledger.finished',
            counts: snapshotCounts(),
            rttMs: spreadOf(stats.rttMs),
            timerErrorMs: spreadOf(stats.timerErrorMs),
          });
        case 'ledger.table':
          table = command.sink;
          return;
        case 'ledger.exchanges':
          exchanges = command.sink;
          return;
      }
    });

    return () => {
      finished = true;
      stopGrid?.();
      stopReading();
    };
  },
);
