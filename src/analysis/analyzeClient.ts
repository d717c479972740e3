import { median } from 'simple-statistics';
import type { ExchangeRecord, ParsedExchangeLog, ParsedTable } from '../storage';
import { describe, histogram } from './describe';
import { ipdv, minimumDelayFilter, ntpSamples, rfc3550Jitter } from './ntp';
import type { ServerIndex } from './serverIndex';
import type { ClientAnalysis, ClientSeries, DirectionAnalysis } from './types';

/** What is known about one client: its table, its sidecar, and the server's table (indexed). */
export interface ClientInputs {
  clientId: number;
  table: { path: string; parsed: ParsedTable } | null;
  exchanges: { path: string; parsed: ParsedExchangeLog } | null;
  server: ServerIndex | null;
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * The statistics of one client session, from whichever of its files are at hand: the sidecar
 * gives timing (t1..t4, RTT, timer error), the table gives addresses and row counts, the
 * server's table tells which ticks arrived (so loss can be split by direction).
 */
export function analyzeClient(inputs: ClientInputs): {
  analysis: ClientAnalysis;
  series: ClientSeries;
} {
  const notes: string[] = [];
  const { table, exchanges, server } = inputs;
  const rows = table?.parsed.rows ?? [];
  const address = rows[0]?.senderIp ?? null;
  const serverAddress = rows[0]?.receiverIp ?? null;
  const sentRows = rows.filter((row) => row.senderIp === address).length;
  const receivedRows = rows.length - sentRows;

  const records = exchanges?.parsed.records ?? [];
  const bySeq = new Map<number, ExchangeRecord>();
  let sidecarDuplicates = 0;
  for (const record of records) {
    if (bySeq.has(record.seq)) sidecarDuplicates += 1;
    else bySeq.set(record.seq, record);
  }
  const unique = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  const answered = unique.filter((r) => r.t4 !== null);

  const ticks = exchanges ? unique.length : sentRows;
  const replies = exchanges ? answered.length : receivedRows;
  if (!exchanges) notes.push('no exchange sidecar: timing statistics need the .exchanges.csv file');
  if (!table) notes.push('no table file: addresses and duplicate replies unknown');

  const end = exchanges?.parsed.end ?? table?.parsed.end ?? null;
  const endedAbruptly =
    (exchanges !== null && exchanges.parsed.end === null) || (table?.parsed.endedAbruptly ?? false);
  const intervalMs = estimateInterval(unique);
  const plannedSlots =
    end && !end.endedEarly && intervalMs ? Math.round(end.durationMs / intervalMs) : null;
  const missedSlots = countMissedSlots(unique, plannedSlots);

  const samples = ntpSamples(answered);
  const filtered = minimumDelayFilter(samples);
  const best = filtered.reduce<(typeof filtered)[number] | null>(
    (a, b) => (a === null || b.delayMs < a.delayMs ? b : a),
    null,
  );
  const rtts = answered
    .map((r) => r.rttMicros)
    .filter((v): v is number => v !== null)
    .map((us) => us / 1000);

  // Up: the client's ticks; the server's table says which of them arrived.
  const serverTicks = server && address ? server.ticksFrom(address) : null;
  let upDelivered: number | null = null;
  let upDuplicates: number | null = null;
  if (serverTicks && exchanges) {
    upDelivered = 0;
    upDuplicates = 0;
    for (const record of unique) {
      const seen = serverTicks.get(record.t1) ?? 0;
      if (seen > 0) upDelivered += 1;
      if (seen > 1) upDuplicates += seen - 1;
    }
  } else if (!server) {
    notes.push('no server table: loss cannot be split between the two directions');
  }
  const up: DirectionAnalysis = direction(
    ticks,
    upDelivered,
    upDuplicates,
    samples.map((s) => s.upMs),
  );
  // Down: the server answers every tick it receives, at once.
  const downDuplicates =
    table && exchanges ? Math.max(0, receivedRows - replies) + sidecarDuplicates : null;
  const down = direction(
    upDelivered,
    replies,
    downDuplicates,
    samples.map((s) => s.downMs),
  );

  const analysis: ClientAnalysis = {
    clientId: inputs.clientId,
    address,
    server: serverAddress,
    files: { table: table?.path ?? null, exchanges: exchanges?.path ?? null },
    durationMs: end?.durationMs ?? null,
    endedEarly: end?.endedEarly ?? null,
    endedAbruptly,
    intervalMs: intervalMs === null ? null : round3(intervalMs),
    plannedSlots,
    ticks,
    replies,
    lost: ticks - replies,
    lossRatio: ticks > 0 ? (ticks - replies) / ticks : 0,
    duplicates: (upDuplicates ?? 0) + (downDuplicates ?? sidecarDuplicates),
    missedSlots,
    rttMs: describe(rtts),
    delayMs: describe(samples.map((s) => s.delayMs)),
    offsetMs: describe(samples.map((s) => s.offsetMs)),
    filteredOffsetMs: describe(filtered.map((s) => s.offsetMs)),
    bestOffsetMs: best?.offsetMs ?? null,
    rttIpdvMs: describe(ipdv(rtts)),
    rttJitterMs: rfc3550Jitter(rtts),
    up,
    down,
    timerErrorMs: describe(unique.map((r) => r.timerErrorMicros / 1000)),
    notes,
  };
  const series: ClientSeries = {
    clientId: inputs.clientId,
    answered: {
      t: samples.map((s) => s.t1 / 1e6),
      rttMs: samples.map((s) => round3(s.rttMs ?? s.delayMs)),
      offsetMs: samples.map((s) => round3(s.offsetMs)),
      delayMs: samples.map((s) => round3(s.delayMs)),
      upMs: samples.map((s) => round3(s.upMs)),
      downMs: samples.map((s) => round3(s.downMs)),
    },
    ticks: {
      t: unique.map((r) => r.t1 / 1e6),
      timerErrorMs: unique.map((r) => r.timerErrorMicros / 1000),
    },
    lost: { t: unique.filter((r) => r.t4 === null).map((r) => r.t1 / 1e6) },
    missed: missedRuns(unique, intervalMs, plannedSlots),
    filtered: {
      t: filtered.map((s) => s.t1 / 1e6),
      offsetMs: filtered.map((s) => round3(s.offsetMs)),
    },
    rttHistogram: histogram(rtts),
  };
  return { analysis, series };
}

function direction(
  sent: number | null,
  delivered: number | null,
  duplicates: number | null,
  oneWay: number[],
): DirectionAnalysis {
  const lost = sent !== null && delivered !== null ? Math.max(0, sent - delivered) : null;
  return {
    sent,
    delivered,
    lost,
    lossRatio: lost !== null && sent ? lost / sent : lost === null ? null : 0,
    duplicates,
    oneWayMs: describe(oneWay),
    ipdvMs: describe(ipdv(oneWay)),
    jitterMs: rfc3550Jitter(oneWay),
  };
}

/** Median send spacing per slot (robust to missed slots and to a few late ticks). */
function estimateInterval(records: readonly ExchangeRecord[]): number | null {
  const spacing: number[] = [];
  for (let i = 1; i < records.length; i++) {
    const slots = records[i]!.seq - records[i - 1]!.seq;
    if (slots > 0) spacing.push((records[i]!.t1 - records[i - 1]!.t1) / slots / 1000);
  }
  return spacing.length > 0 ? median(spacing) : null;
}

/** Gaps in the slot numbers (slot 0 is the first), plus slots the grid never reached. */
function countMissedSlots(records: readonly ExchangeRecord[], plannedSlots: number | null): number {
  if (records.length === 0) return 0;
  let missed = records[0]!.seq;
  for (let i = 1; i < records.length; i++) missed += records[i]!.seq - records[i - 1]!.seq - 1;
  const last = records[records.length - 1]!.seq;
  if (plannedSlots !== null && plannedSlots > last + 1) missed += plannedSlots - last - 1;
  return missed;
}

/**
 * Where the missed slots were: one entry per run of consecutive empty slots, placed on the
 * grid after the tick before it (first slot: before the first tick; tail: after the last).
 */
function missedRuns(
  records: readonly ExchangeRecord[],
  intervalMs: number | null,
  plannedSlots: number | null,
): { t: number[]; slots: number[] } {
  const runs = { t: [] as number[], slots: [] as number[] };
  if (records.length === 0 || intervalMs === null) return runs;
  const step = intervalMs / 1000;
  const first = records[0]!;
  if (first.seq > 0) {
    runs.t.push(first.t1 / 1e6 - first.seq * step);
    runs.slots.push(first.seq);
  }
  for (let i = 1; i < records.length; i++) {
    const gap = records[i]!.seq - records[i - 1]!.seq - 1;
    if (gap > 0) {
      runs.t.push(records[i - 1]!.t1 / 1e6 + step);
      runs.slots.push(gap);
    }
  }
  const last = records[records.length - 1]!;
  if (plannedSlots !== null && plannedSlots > last.seq + 1) {
    runs.t.push(last.t1 / 1e6 + step);
    runs.slots.push(plannedSlots - last.seq - 1);
  }
  return runs;
}
