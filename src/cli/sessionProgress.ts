import { median } from 'simple-statistics';
import type { Actor } from 'xstate';
import type { clientSessionMachine } from '../actors/clientSession.machine';

/** What a person wants to know about a running session, from its actor's snapshot. */
export interface SessionProgress {
  clientId: number | null;
  state: string;
  elapsedMs: number;
  remainingMs: number;
  ticksSent: number;
  replies: number;
  missedSlots: number;
  rttMedianMs: number | null;
}

export function sessionProgress(actor: Actor<typeof clientSessionMachine>): SessionProgress {
  const snapshot = actor.getSnapshot();
  const { context } = snapshot;
  const now = context.config.clock.now();
  const elapsedMs = context.startedAt === null ? 0 : (context.endedAt ?? now) - context.startedAt;
  return {
    clientId: context.clientId,
    state: JSON.stringify(snapshot.value).replace(/[{}"]/g, '').replace(/:/g, '.'),
    elapsedMs,
    remainingMs: Math.max(0, context.config.durationMs - elapsedMs),
    ticksSent: context.ticksSent,
    replies: context.replies,
    missedSlots: context.missedSlots,
    rttMedianMs: context.stats.rttMs.length > 0 ? median(context.stats.rttMs) : null,
  };
}

export function progressLine(p: SessionProgress): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(0)}s`;
  const rtt = p.rttMedianMs === null ? '-' : `${p.rttMedianMs.toFixed(3)} ms`;
  return (
    `client ${p.clientId ?? '?'} [${p.state}] ${seconds(p.elapsedMs)} elapsed, ${seconds(p.remainingMs)} left: ` +
    `${p.ticksSent} ticks, ${p.replies} replies, ${p.missedSlots} missed, RTT median ${rtt}`
  );
}

/**
 * Prints a progress line for each session every `everyMs` until stopped. Plain lines, so they
 * read well in a log file or CI output as in a terminal.
 */
export function reportProgress(
  actors: () => Actor<typeof clientSessionMachine>[],
  write: (line: string) => void,
  everyMs = 5000,
): () => void {
  const timer = setInterval(() => {
    for (const actor of actors()) {
      if (actor.getSnapshot().status === 'active') write(progressLine(sessionProgress(actor)));
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
