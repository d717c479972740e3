import type { SnapshotFrom } from 'xstate';
import type { clientSessionMachine } from './session.machine';

export type ClientSessionSnapshot = SnapshotFrom<typeof clientSessionMachine>;

/** What a person wants to know about a running session. */
export interface SessionProgress {
  clientId: number | null;
  /** The state, dotted (`session.ticking.online`). */
  state: string;
  elapsedMs: number;
  remainingMs: number;
  durationMs: number;
  ticksSent: number;
  replies: number;
  missedSlots: number;
  /** Ticks sent and not answered yet. */
  inFlight: number;
  /** Connection attempts so far (the first connect and its retries). */
  connectAttempts: number;
  reconnections: number;
  /** Median round trip over about the last second of replies; `null` before the first. */
  rttMedianMs: number | null;
  finished: boolean;
}

/** A state value as dotted text: `{ session: { ticking: 'online' } }` → `session.ticking.online`. */
export function stateText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return String(value);
  return Object.entries(value)
    .map(([key, inner]) => `${key}.${stateText(inner)}`)
    .join(',');
}

/** A running (or finished) session's progress, read from its snapshot. */
export function selectProgress(snapshot: ClientSessionSnapshot): SessionProgress {
  const { context } = snapshot;
  const now = context.config.clock.now();
  const elapsedMs = context.startedAt === null ? 0 : (context.endedAt ?? now) - context.startedAt;
  return {
    clientId: context.clientId,
    state: stateText(snapshot.value),
    elapsedMs,
    remainingMs: Math.max(0, context.config.durationMs - elapsedMs),
    durationMs: context.config.durationMs,
    ticksSent: context.ticksSent,
    replies: context.replies,
    missedSlots: context.missedSlots,
    inFlight: context.inFlight.length,
    connectAttempts: context.attempt,
    reconnections: context.reconnections,
    rttMedianMs: context.rttMedianMs,
    finished: snapshot.status !== 'active',
  };
}
