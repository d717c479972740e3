import type { Spread } from '../../measure/sessionStats';
import type { Failure } from '../errors';
import type { ClientSessionContext } from './sessionContext';

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
  /** Why the session ended before its time, if it did (a stop request, the server leaving…). */
  endedEarly: Failure | null;
  error: Failure | null;
  files: { table: string; exchanges: string } | null;
}

export function summarizeSession(context: ClientSessionContext): ClientSessionSummary {
  const { config } = context;
  const planned = Math.round(config.durationMs / config.intervalMs);
  // Slots the grid never reached because the deadline came first count as missed too,
  // unless the session was cut short on purpose or by a fault.
  const unreached =
    context.endedEarly || context.failure
      ? 0
      : planned - context.ticksSent - context.missedSlots - context.offlineSlots;
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
    ticksSent: context.ticksSent,
    replies: context.replies,
    lost: context.ticksSent - context.replies,
    unexpectedReplies: context.unexpectedReplies,
    missedSlots: context.missedSlots + Math.max(0, unreached),
    offlineSlots: context.offlineSlots,
    reconnections: context.reconnections,
    rttMs: context.totals?.rttMs ?? null,
    timerErrorMs: context.totals?.timerErrorMs ?? null,
    durationMs,
    endedEarly: context.endedEarly,
    error: context.failure,
    files: context.files,
  };
}
