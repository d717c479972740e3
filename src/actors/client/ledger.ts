import { median } from 'simple-statistics';
import { fromCallback } from 'xstate';
import { SessionStats, type Spread, spreadOf } from '../../measure/sessionStats';
import type { ExchangeRecord, TimestampRow } from '../../storage';
import type { Clock, GridTick } from '../../time';
import type { ClientConnection, Reply, Stamp } from '../../transport';
import type { RecordSink } from '../writer';

/** What the session machine tells its ledger. */
export type LedgerCommand =
  | { type: 'ledger.table'; sink: RecordSink<TimestampRow> }
  | { type: 'ledger.exchanges'; sink: RecordSink<ExchangeRecord> }
  /** Send this tick on this connection now: stamped at the wire, logged, remembered. */
  | { type: 'ledger.tick'; connection: ClientConnection; tick: GridTick }
  /** A reply arrived (at `at`): logged, and matched with its tick if it is still in flight. */
  | { type: 'ledger.reply'; connection: ClientConnection; reply: Reply; at: Stamp }
  /** The ticks in flight will never be answered: logged as lost. */
  | { type: 'ledger.abandon' }
  /** The session is over: abandon what is in flight and report the totals. */
  | { type: 'ledger.finish' };

/** What the ledger tells the session machine. */
export type LedgerReport =
  /** Median round trip of the replies since the last report (about one a second). */
  | { type: 'ledger.progress'; rttMedianMs: number }
  | { type: 'ledger.finished'; rttMs: Spread | null; timerErrorMs: Spread | null };

export interface LedgerInput {
  clock: Clock;
  /** Replies per progress report; one report a second at the session's interval. */
  reportEvery: number;
}

/**
 * The data path of a client session: it writes each tick the machine decides to send
 * (stamping t1 immediately before the write), turns each reply into rows and a round trip,
 * and keeps the measurements (exact send stamps, RTT and timer-error samples) out of the
 * machine's context. It decides nothing: the machine tracks which ticks are in flight and
 * what to do about them; this actor does the I/O and the arithmetic.
 */
export const sessionLedger = fromCallback<LedgerCommand, LedgerInput, LedgerReport>(
  ({ input, sendBack, receive }) => {
    const { clock } = input;
    const stats = new SessionStats();
    let table: RecordSink<TimestampRow> | null = null;
    let exchanges: RecordSink<ExchangeRecord> | null = null;
    let recent: number[] = [];
    // Replies read on the current connection: each tick carries the count as its `ack`, so
    // the server can judge by time whether we read (docs/protocol.md, section 4.5).
    let readOn: ClientConnection | null = null;
    let read = 0;

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

    receive((command) => {
      switch (command.type) {
        case 'ledger.tick': {
          const { connection, tick } = command;
          // Stamp and write at once; the bookkeeping waits until the tick is on the wire.
          const sentAt = clock.now();
          const t1 = clock.wallMicros();
          const ack = connection === readOn ? read : 0;
          connection.sendNow({ type: 'tick', seq: tick.slot, t1, ack });
          table?.write({
            senderIp: connection.localAddress,
            receiverIp: connection.remoteAddress,
            timeMicros: t1,
          });
          stats.recordSent({ seq: tick.slot, t1, sentAt, timerErrorMs: tick.firedAt - tick.dueAt });
          return;
        }
        case 'ledger.reply': {
          const { connection, reply, at } = command;
          if (connection !== readOn) {
            readOn = connection;
            read = 0;
          }
          read += 1;
          table?.write({
            senderIp: connection.remoteAddress,
            receiverIp: connection.localAddress,
            timeMicros: reply.t3,
          });
          // t4 and the round trip end when the reply's bytes arrived, not after decoding.
          const answered = stats.recordReply(reply.seq, at.monoMs);
          if (!answered) return;
          exchanges?.write({
            seq: reply.seq,
            t1: answered.tick.t1,
            t2: reply.t2,
            t3: reply.t3,
            t4: at.wallMicros,
            rttMicros: answered.rttMs * 1000,
            timerErrorMicros: answered.tick.timerErrorMs * 1000,
          });
          recent.push(answered.rttMs);
          if (recent.length >= input.reportEvery) {
            sendBack({ type: 'ledger.progress', rttMedianMs: median(recent) });
            recent = [];
          }
          return;
        }
        case 'ledger.abandon':
          return abandon();
        case 'ledger.finish':
          abandon();
          return sendBack({
            type: 'ledger.finished',
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
  },
);
