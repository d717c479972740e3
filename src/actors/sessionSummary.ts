import { type Spread, spreadOf } from '../measure/sessionStats';
import type { ClientSessionContext } from './clientSession.machine';

/** What a client session reports when it ends; all durations in milliseconds. */
export interface ClientSessionSummary {
  outcome: 'done' | 'failed';
  clientId: number | null;
  localAddress: string | null;
  server: string;
  intervalMs: number;
  plannedTicks: number;
  ticksSent: number;
  replies: number;
  /** Ticks that never got a reply. */
  lost: number;
  unexpectedReplies: number;
  /** Grid slots that passed without a tick (the process was too late for them). */
  missedSlots: number;
  /** Grid slots that passed while disconnected, and the reconnections that ended those gaps. */
  offlineSlots: number;
  reconnections: number;
  rttMs: Spread | null;
  timerErrorMs: Spread | null;
  durationMs: number;
  endedEarly: string | null;
  error: { code: string; message: string } | null;
  files: { table: string; exchanges: string } | null;
}

export function summarizeSession(context: ClientSessionContext): ClientSessionSummary {
  const { stats, config } = context;
  const planned = Math.round(config.durationMs / config.intervalMs);
  // Slots the grid never reached because the deadline came first count as missed too,
  // unless the session was cut short on purpose or by a fault.
  const unreached =
    context.endedEarly || context.failure
      ? 0
      : planned - stats.sent - stats.missedSlots - stats.offlineSlots;
  const durationMs =
    context.startedAt !== null && context.endedAt !== null
      ? context.endedAt - context.startedAt
      : 0;
  return {
    outcome: context.failure ? 'failed' : 'done',
    clientId: context.clientId,
    localAddress: context.connection?.localAddress ?? null,
    server: `${config.server.host}:${config.server.port}`,
    intervalMs: config.intervalMs,
    plannedTicks: planned,
    ticksSent: stats.sent,
    replies: stats.replies,
    lost: stats.sent - stats.replies,
    unexpectedReplies: stats.unexpectedReplies,
    missedSlots: stats.missedSlots + Math.max(0, unreached),
    offlineSlots: stats.offlineSlots,
    reconnections: context.reconnections,
    rttMs: spreadOf(stats.rttMs),
    timerErrorMs: spreadOf(stats.timerErrorMs),
    durationMs,
    endedEarly: context.endedEarly,
    error: context.failure,
    files: context.files,
  };
}
