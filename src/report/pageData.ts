import type { ClientSeries } from '../analysis/types';
import {
  bestOffsetPerWindow,
  byWindow,
  cdf,
  round3,
  varintBase64,
  windowCounts,
  windowQuantiles,
  windowWidth,
} from './aggregate';
import type { TransferTimeline } from './transfers';

/** One colour per client, in every chart and table (Tableau 10, colour-blind friendlier). */
export const CLIENT_PALETTE = [
  '#4e79a7',
  '#e15759',
  '#59a14f',
  '#f28e2b',
  '#b07aa1',
  '#76b7b2',
  '#9c755f',
  '#edc948',
  '#ff9da7',
  '#bab0ac',
];

/** Client N's colour: the same for its sessions, its file and its peer. */
export const clientColor = (clientId: number) =>
  CLIENT_PALETTE[
    (((clientId - 1) % CLIENT_PALETTE.length) + CLIENT_PALETTE.length) % CLIENT_PALETTE.length
  ]!;

/** `client_2`, `client_2_TimeData.txt` → 2; null for a name that is no client's. */
export function clientIdOf(name: string): number | null {
  const match = /client_(\d+)/.exec(name);
  return match ? Number(match[1]) : null;
}

/**
 * Raw exchanges are embedded (for zooming in) up to this many in all: ~7 bytes each in the
 * page, so 3 × 30,000 adds ~0.6 MB; an hour at 100 Hz (3 × 360,000) does not fit and the
 * page says so and shows the windows only.
 */
export const RAW_POINT_BUDGET = 300_000;

export interface PageDataOptions {
  rawPointBudget?: number;
  maxWindows?: number;
}

/** Everything the page script draws, pre-aggregated; times in seconds from the first tick. */
export function pageData(
  series: readonly ClientSeries[],
  transfers: TransferTimeline | null | undefined,
  options: PageDataOptions = {},
) {
  const firsts = series.flatMap((s) => (s.ticks.t.length > 0 ? [s.ticks.t[0]!] : []));
  const lasts = series.flatMap((s) => (s.ticks.t.length > 0 ? [s.ticks.t.at(-1)!] : []));
  const t0 = firsts.length > 0 ? Math.min(...firsts) : 0;
  const span = Math.max(0.001, (lasts.length > 0 ? Math.max(...lasts) : t0) - t0);
  const widthS = windowWidth(span, options.maxWindows);
  const windows = Math.max(1, Math.ceil(span / widthS + 1e-9));
  const x = Array.from({ length: windows }, (_, w) => round3((w + 0.5) * widthS));

  const perClient = series.map((s) => {
    const a = s.answered;
    const quantiles = (t: readonly number[], v: readonly number[], ps: number[]) =>
      windowQuantiles(byWindow(t, v, t0, widthS, windows), ps);
    const [rttP50, rttP90, rttP99] = quantiles(a.t, a.rttMs, [0.5, 0.9, 0.99]);
    const [timerP50, timerP99] = quantiles(s.ticks.t, s.ticks.timerErrorMs, [0.5, 0.99]);
    const [upP50] = quantiles(a.t, a.upMs, [0.5]);
    const [downP50] = quantiles(a.t, a.downMs, [0.5]);
    const sent = windowCounts(s.ticks.t, t0, widthS, windows);
    const offset = bestOffsetPerWindow(a.t, a.offsetMs, a.delayMs, t0, widthS, windows);
    return {
      id: s.clientId,
      label: `client ${s.clientId}`,
      color: clientColor(s.clientId),
      exchanges: a.t.length,
      sent,
      rtt: { p50: rttP50!, p90: rttP90!, p99: rttP99! },
      lost: windowCounts(s.lost.t, t0, widthS, windows),
      missed: windowCounts(s.missed.t, t0, widthS, windows, s.missed.slots),
      timer: { p50: timerP50!, p99: timerP99! },
      theta: offset.theta,
      halfDelay: offset.halfDelay,
      up: upP50!,
      down: downP50!,
      cdf: cdf(a.rttMs),
    };
  });

  const rawPoints = series.reduce((n, s) => n + s.answered.t.length, 0);
  const budget = options.rawPointBudget ?? RAW_POINT_BUDGET;
  const raw =
    rawPoints <= budget
      ? series.map((s) => ({
          // t in 10 µs units from the first tick (deltas), RTT and θ in whole µs.
          t: varintBase64(
            s.answered.t.map((t) => (t - t0) * 1e5),
            { deltas: true },
          ),
          rtt: varintBase64(s.answered.rttMs.map((v) => v * 1000)),
          theta: varintBase64(s.answered.offsetMs.map((v) => v * 1000)),
        }))
      : null;

  const page = {
    t0,
    spanS: round3(span),
    windowS: widthS,
    x,
    clients: perClient,
    rawEmbedded: raw !== null,
    rawPoints,
    rawBudget: budget,
    transfers: transfers ? transferData(transfers) : null,
  };
  return { page, raw };
}

export type PageData = ReturnType<typeof pageData>['page'];

/** Lanes and bars coloured by client: a peer by its own colour, a file by its owner's. */
function transferData(t: TransferTimeline) {
  const names = [...t.peers, ...t.transfers.map((s) => s.file)];
  const known = names.map(clientIdOf).filter((id): id is number => id !== null);
  let next = known.length > 0 ? Math.max(...known) : 0;
  const colors: Record<string, string> = {};
  for (const name of names) {
    if (colors[name]) continue;
    const id = clientIdOf(name) ?? ++next;
    colors[name] = clientColor(id);
  }
  return { peers: t.peers, spans: t.transfers, colors };
}
