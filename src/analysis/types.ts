import type { Description, Histogram } from './describe';

/** One direction of a client's exchange: its ticks going up, or the server's replies coming down. */
export interface DirectionAnalysis {
  /** Messages sent in this direction; `null` when no file tells (e.g. no server file). */
  sent: number | null;
  /** Messages that arrived. */
  delivered: number | null;
  lost: number | null;
  /** lost / sent, 0..1. */
  lossRatio: number | null;
  /** Messages that arrived more than once. */
  duplicates: number | null;
  /**
   * Apparent one-way delay: up = t2 − t1, down = t4 − t3. Each includes the clock offset
   * (up: +θ, down: −θ), so only their spread and their sum mean something by themselves.
   */
  oneWayMs: Description | null;
  /** Inter-packet delay variation of the one-way delay (RFC 3393): the offset cancels out. */
  ipdvMs: Description | null;
  /** RFC 3550 interarrival jitter at the end of the run. */
  jitterMs: number | null;
}

/** Everything `analyze` says about one client session. Durations and times in milliseconds. */
export interface ClientAnalysis {
  clientId: number;
  /** The client's address as its table shows it. */
  address: string | null;
  server: string | null;
  files: { table: string | null; exchanges: string | null };
  /** Real duration from the files' last line; `null` when the session never finished its files. */
  durationMs: number | null;
  endedEarly: string | null;
  /** True when a file has no end line: the process died mid-session. */
  endedAbruptly: boolean;
  /** Tick interval, estimated from the send times (median spacing per slot). */
  intervalMs: number | null;
  /** Slots the grid had: duration / interval (for a session that ran its full length). */
  plannedSlots: number | null;
  ticks: number;
  replies: number;
  /** Ticks without a reply. */
  lost: number;
  lossRatio: number;
  /** Messages seen more than once, both directions. */
  duplicates: number;
  /** Slots on the tick grid that passed without a tick: gaps in the sequence numbers. */
  missedSlots: number;
  /** Round trip on the client's monotonic clock. */
  rttMs: Description | null;
  /** NTP delay δ = (t4 − t1) − (t3 − t2). */
  delayMs: Description | null;
  /** NTP offset θ = ((t2 − t1) + (t3 − t4)) / 2; positive: the server's clock is ahead. */
  offsetMs: Description | null;
  /** θ of the samples kept by the minimum-delay filter (one per 8 exchanges). */
  filteredOffsetMs: Description | null;
  /** θ of the single exchange with the smallest δ in the run. */
  bestOffsetMs: number | null;
  /** Jitter of the round trip: IPDV of consecutive RTTs and RFC 3550's estimate. */
  rttIpdvMs: Description | null;
  rttJitterMs: number | null;
  up: DirectionAnalysis;
  down: DirectionAnalysis;
  /** How late each tick left against its slot on the grid. */
  timerErrorMs: Description | null;
  /** What could not be computed, and why. */
  notes: string[];
}

/** What the server's own table says. */
export interface ServerAnalysis {
  file: string;
  rows: number;
  durationMs: number | null;
  endedEarly: string | null;
  endedAbruptly: boolean;
  /** Per client address: ticks received and replies sent. */
  peers: { address: string; ticksReceived: number; repliesSent: number }[];
}

/** The statistics of a run: what `analyze --json` prints. */
export interface RunAnalysis {
  inputs: string[];
  clients: ClientAnalysis[];
  server: ServerAnalysis | null;
  /** How the numbers are defined, for a reader of the JSON. */
  conventions: {
    offset: string;
    delay: string;
    filter: string;
    units: string;
  };
}

/** Per-client time series for plots; x values are the client's send times, s since the epoch. */
export interface ClientSeries {
  clientId: number;
  /** Every answered exchange, in send order; up/down are the apparent one-way delays (±θ). */
  answered: {
    t: number[];
    rttMs: number[];
    offsetMs: number[];
    delayMs: number[];
    upMs: number[];
    downMs: number[];
  };
  /** Every tick sent (answered or not), in slot order: how late it left its slot. */
  ticks: { t: number[]; timerErrorMs: number[] };
  /** Send times of the ticks that got no reply. */
  lost: { t: number[] };
  /** Each run of missed slots: where it began on the grid (s since the epoch) and its length. */
  missed: { t: number[]; slots: number[] };
  /** Samples kept by the minimum-delay filter. */
  filtered: { t: number[]; offsetMs: number[] };
  rttHistogram: Histogram | null;
}

/** Statistics plus what the plots need. */
export interface RunData {
  analysis: RunAnalysis;
  series: ClientSeries[];
}
