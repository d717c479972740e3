import type { SnapshotFrom } from 'xstate';
import { type StateLabels, stateLabel, stateText } from '../shared/stateLabel';
import type { clientSessionMachine } from './session.machine';

export { stateText } from '../shared/stateLabel';

export type ClientSessionSnapshot = SnapshotFrom<typeof clientSessionMachine>;

/** What a person wants to know about a running session. */
export interface SessionProgress {
  clientId: number | null;
  /** The state as a person names it (`ticking`, `reconnecting`): see {@link SESSION_STATE_LABELS}. */
  state: string;
  /** The state, dotted (`session.ticking.online`), for programs. */
  statePath: string;
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

/**
 * People's names for the session's states, by dotted path (an entry names every state inside
 * it). test/actors/stateLabels.test.ts checks that every state of the machine is named.
 */
export const SESSION_STATE_LABELS: StateLabels = {
  connecting: 'connecting',
  waitingToRetry: 'waiting to retry',
  'session.handshaking': 'handshaking',
  'session.preparing': 'opening files',
  'session.ticking.online': 'ticking',
  'session.ticking.reconnecting': 'reconnecting',
  'session.draining': 'draining replies',
  closing: 'closing files',
  done: 'done',
  failed: 'failed',
};

/** A running (or finished) session's progress, read from its snapshot. */
export function selectProgress(snapshot: ClientSessionSnapshot): SessionProgress {
  const { context } = snapshot;
  const now = context.config.clock.now();
  const elapsedMs = context.startedAt === null ? 0 : (context.endedAt ?? now) - context.startedAt;
  return {
    clientId: context.clientId,
    state: stateLabel(snapshot.value, SESSION_STATE_LABELS),
    statePath: stateText(snapshot.value),
    elapsedMs,
    remainingMs: Math.max(0, context.config.durationMs - elapsedMs),
    durationMs: context.config.durationMs,
    ticksSent: context.ticksSent,
    replies: context.replies,
    missedSlots: context.missedSlots,
    inFlight: context.inFlight,
    connectAttempts: context.attempt,
    reconnections: context.reconnections,
    rttMedianMs: context.rttMedianMs,
    finished: snapshot.status !== 'active',
  };
}
