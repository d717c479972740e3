import type { Actor } from 'xstate';
import { type clientSessionMachine, type SessionProgress, selectProgress } from '../actors/client';
import { selectStatus, type serverMachine } from '../actors/server';
import { type BarState, showLiveBars } from './liveBars';

type SessionActor = Actor<typeof clientSessionMachine>;

export type { SessionProgress } from '../actors/client';

/** What a person wants to know about a running session, from its actor's snapshot. */
export function sessionProgress(actor: SessionActor): SessionProgress {
  return selectProgress(actor.getSnapshot());
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(0)}s`;
const rttText = (p: SessionProgress) =>
  p.rttMedianMs === null ? '-' : `${p.rttMedianMs.toFixed(3)} ms`;

export function progressLine(p: SessionProgress): string {
  return (
    `client ${p.clientId ?? '?'} [${p.state}] ${seconds(p.elapsedMs)} elapsed, ${seconds(p.remainingMs)} left: ` +
    `${p.ticksSent} ticks, ${p.replies} replies, ${p.missedSlots} missed, RTT median ${rttText(p)}`
  );
}

/**
 * Prints a progress line for each session every `everyMs` until stopped. Plain lines, so they
 * read well in a log file or CI output as in a terminal.
 */
export function reportProgress(
  actors: () => SessionActor[],
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

/** A session as a bar: elapsed of its duration, with ticks, replies, missed slots and RTT. */
export function sessionBar(actor: SessionActor): BarState {
  const p = sessionProgress(actor);
  return {
    key: actor.sessionId,
    label: `client ${String(p.clientId ?? '?').padStart(2)}`,
    value: p.elapsedMs,
    total: p.durationMs,
    detail:
      `${seconds(p.elapsedMs)}/${seconds(p.durationMs)} · ${p.ticksSent} ticks · ${p.replies} replies · ` +
      `${p.missedSlots} missed · RTT median ${rttText(p)} · ${p.state}`,
  };
}

export interface SessionProgressOptions {
  /** No live bars: plain periodic lines instead. */
  quiet?: boolean;
  stream?: NodeJS.WriteStream;
  /** Plain-line period (default 5 s). */
  everyMs?: number;
}

/**
 * What a person running sessions sees: a live bar per client on a terminal; plain periodic
 * lines when the output is not a TTY (a log file, CI) or with `--quiet`.
 */
export function showSessionProgress(
  actors: () => SessionActor[],
  options: SessionProgressOptions = {},
): () => void {
  const stream = options.stream ?? process.stderr;
  if (stream.isTTY && !options.quiet)
    return showLiveBars(() => actors().map(sessionBar), { stream });
  return reportProgress(actors, (line) => stream.write(`${line}\n`), options.everyMs);
}

/** The server's live view: connections, clients exchanging now, clients served so far. */
export function serverStatusLine(server: Actor<typeof serverMachine>): string {
  const status = selectStatus(server.getSnapshot());
  const handshaking = status.connections - status.clients;
  return (
    `server [${status.state}] ${status.clients} client(s) exchanging` +
    (handshaking > 0 ? `, ${handshaking} connection(s) in their handshake` : '') +
    `, ${status.served.length} served`
  );
}

/**
 * The server's progress: on a terminal one live line with the clients exchanging now; with
 * `--quiet` or without a TTY nothing extra (the log already says who joins and leaves).
 */
export function showServerProgress(
  server: Actor<typeof serverMachine>,
  options: SessionProgressOptions = {},
): () => void {
  const stream = options.stream ?? process.stderr;
  if (!stream.isTTY || options.quiet) return () => undefined;
  const started = Date.now();
  return showLiveBars(
    () => [
      {
        key: 'server',
        label: 'server',
        value: 0,
        total: 1,
        detail: `${seconds(Date.now() - started)} up · ${serverStatusLine(server)}`,
      },
    ],
    { stream, format: '{label} | {detail}', redrawMs: 500 },
  );
}
