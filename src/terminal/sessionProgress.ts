import type { Actor } from 'xstate';
import { type clientSessionMachine, type SessionProgress, selectProgress } from '../actors/client';
import { selectStatus, type serverMachine } from '../actors/server';
import { displayWidth, fitParts, terminalWidth } from './layout';
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

/**
 * A session's progress as one plain line, fitted to `width` columns: what matters most
 * (the client, its state, time left) is kept, counters are left out from the end first.
 */
export function progressLine(p: SessionProgress, width = terminalWidth(process.stderr)): string {
  const head = `client ${p.clientId ?? '?'} ${p.state}: `;
  const rest = [
    `${seconds(p.elapsedMs)} elapsed, ${seconds(p.remainingMs)} left`,
    `RTT median ${rttText(p)}`,
    `${p.replies}/${p.ticksSent} replies`,
    `${p.missedSlots} missed`,
  ];
  return fitParts([`${head}${fitParts(rest, width - displayWidth(head), ', ')}`], width);
}

/**
 * Prints a progress line for each session every `everyMs` until stopped. Plain lines, so they
 * read well in a log file or CI output as in a terminal.
 */
export function reportProgress(
  actors: () => SessionActor[],
  write: (line: string) => void,
  everyMs = 5000,
  width = terminalWidth(process.stderr),
): () => void {
  const timer = setInterval(() => {
    for (const actor of actors()) {
      if (actor.getSnapshot().status === 'active')
        write(progressLine(sessionProgress(actor), width));
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** A session as a bar: elapsed of its duration, then its state, RTT, replies and missed slots. */
export function sessionBar(actor: SessionActor): BarState {
  const p = sessionProgress(actor);
  return {
    key: actor.sessionId,
    label: `client ${String(p.clientId ?? '?').padStart(2)}`,
    value: p.elapsedMs,
    total: p.durationMs,
    detail: [
      p.state,
      `${seconds(p.elapsedMs)}/${seconds(p.durationMs)}`,
      `RTT ${rttText(p)}`,
      `${p.replies}/${p.ticksSent} replies`,
      `${p.missedSlots} missed`,
    ],
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
  return reportProgress(
    actors,
    (line) => stream.write(`${line}\n`),
    options.everyMs,
    terminalWidth(stream),
  );
}

/** The server's live view as parts, most important first: its state, clients, connections. */
export function serverStatusParts(server: Actor<typeof serverMachine>): string[] {
  const status = selectStatus(server.getSnapshot());
  const handshaking = status.connections - status.clients;
  return [
    status.state,
    `${status.clients} client(s) exchanging`,
    `${status.servedCount} served`,
    handshaking > 0 ? `${handshaking} in their handshake` : '',
  ];
}

/** The server's live view as one line, fitted to `width`. */
export function serverStatusLine(
  server: Actor<typeof serverMachine>,
  width = terminalWidth(process.stderr),
): string {
  return fitParts([`server`, ...serverStatusParts(server)], width);
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
        detail: [...serverStatusParts(server), `${seconds(Date.now() - started)} up`],
      },
    ],
    { stream, barless: true, redrawMs: 500 },
  );
}
