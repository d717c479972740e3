import { clearScreenDown } from 'node:readline';
import { MultiBar, Presets } from 'cli-progress';
import { median } from 'simple-statistics';
import type { Actor, AnyActorRef } from 'xstate';
import type { clientSessionMachine } from '../actors/clientSession.machine';
import type { serverMachine } from '../actors/server.machine';

type SessionActor = Actor<typeof clientSessionMachine>;

/** What a person wants to know about a running session, from its actor's snapshot. */
export interface SessionProgress {
  clientId: number | null;
  state: string;
  elapsedMs: number;
  remainingMs: number;
  durationMs: number;
  ticksSent: number;
  replies: number;
  missedSlots: number;
  rttMedianMs: number | null;
  finished: boolean;
}

const stateText = (value: unknown) =>
  JSON.stringify(value).replace(/[{}"]/g, '').replace(/:/g, '.');

export function sessionProgress(actor: SessionActor): SessionProgress {
  const snapshot = actor.getSnapshot();
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
    rttMedianMs: context.stats.rttMs.length > 0 ? median(context.stats.rttMs) : null,
    finished: snapshot.status !== 'active',
  };
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

/** One live bar: what it measures and the text beside it. */
export interface BarState {
  /** Stable identity across refreshes (one bar per key). */
  key: string;
  label: string;
  value: number;
  total: number;
  detail: string;
}

export interface LiveBarsOptions {
  /** A TTY stream; default process.stderr. */
  stream?: NodeJS.WriteStream;
  redrawMs?: number;
  /** cli-progress format; `{label}` and `{detail}` come from each item. */
  format?: string;
}

/**
 * Live progress bars (cli-progress `MultiBar`), one per item that `items()` returns, refreshed
 * every `redrawMs`. Anything else written to the stream meanwhile (log lines) is printed above
 * the bars instead of tearing through them. Generic, so file transfers can show theirs too.
 * Returns a function that draws the last state, stops and gives the stream back.
 */
export function showLiveBars(items: () => BarState[], options: LiveBarsOptions = {}): () => void {
  const stream = options.stream ?? process.stderr;
  const originalWrite = stream.write;
  // cli-progress draws through this stand-in; everything else goes through multibar.log.
  const drawStream = {
    isTTY: true,
    get columns() {
      return stream.columns;
    },
    write: (...args: unknown[]) =>
      (originalWrite as (...a: unknown[]) => boolean).apply(stream, args),
  } as unknown as NodeJS.WriteStream;
  const multibar = new MultiBar(
    {
      stream: drawStream,
      format: options.format ?? '{label} {bar} {percentage}% | {detail}',
      barsize: 20,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      autopadding: true,
      fps: 10,
      // Redraw unchanged bars too: after log lines the area below is cleared.
      forceRedraw: true,
    },
    Presets.shades_classic,
  );
  // cli-progress clears only the first line before printing logged lines; clear everything
  // below the cursor instead, or longer bar lines leave fragments behind.
  let logged = false;
  multibar.on('redraw-pre', () => {
    if (logged) clearScreenDown(drawStream);
    logged = false;
  });
  let pending = '';
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString();
    const end = pending.lastIndexOf('\n');
    if (end >= 0) {
      multibar.log(pending.slice(0, end + 1));
      logged = true;
      pending = pending.slice(end + 1);
    }
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof stream.write;

  const bars = new Map<string, ReturnType<MultiBar['create']>>();
  const refresh = () => {
    for (const item of items()) {
      const payload = { label: item.label, detail: item.detail };
      const total = Math.max(1, item.total);
      const bar = bars.get(item.key);
      if (!bar) bars.set(item.key, multibar.create(total, Math.min(item.value, total), payload));
      else {
        bar.setTotal(total);
        bar.update(Math.min(item.value, total), payload);
      }
    }
  };
  refresh();
  const timer = setInterval(refresh, options.redrawMs ?? 250);
  timer.unref();
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    refresh();
    // Draw once more so that lines logged since the last frame are printed, then stop.
    (multibar as unknown as { update(): void }).update();
    multibar.stop();
    stream.write = originalWrite;
    if (pending) stream.write(pending);
  };
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

/** The server's live view: clients exchanging now, with the ticks each has sent so far. */
export function serverStatusLine(server: Actor<typeof serverMachine>): string {
  const snapshot = server.getSnapshot();
  const children = Object.values(snapshot.children as Record<string, AnyActorRef | undefined>);
  const clients = children
    .map(
      (child) =>
        child?.getSnapshot() as
          | { status?: string; context?: { clientId?: number | null; ticks?: number } }
          | undefined,
    )
    .filter((s) => s?.status === 'active' && s.context?.clientId != null)
    .map((s) => `#${s!.context!.clientId}: ${s!.context!.ticks ?? 0}`);
  return `server [${stateText(snapshot.value)}] ${clients.length} client(s) exchanging${
    clients.length > 0 ? ` (ticks ${clients.join(', ')})` : ''
  }`;
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
