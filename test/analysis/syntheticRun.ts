import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  clientTableName,
  type ExchangeRecord,
  exchangeLogFormat,
  exchangeLogName,
  type RecordFormat,
  SERVER_TABLE_NAME,
  type TimestampRow,
  timestampTableFormat,
} from '../../src/storage';

export interface SyntheticClient {
  clientId: number;
  address: string;
  /** Slots on the grid; some are skipped (missed) and some lost. */
  slots: number;
  /** Server clock minus client clock, ms. */
  offsetMs: number;
  /** Slot numbers with no tick (missed by the timer). */
  missed?: number[];
  /** Slot numbers whose tick never reached the server. */
  lostUp?: number[];
  /** Slot numbers whose reply never came back. */
  lostDown?: number[];
  /** Start of the first slot, µs since the epoch (client clock). */
  startMicros?: number;
}

/** A tiny deterministic pseudo-random sequence (mulberry32), so runs are reproducible. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function render<R>(format: RecordFormat<R>, records: R[], durationMs: number): string {
  return (
    format.header +
    records.map((r, i) => format.line(r, i + 1)).join('') +
    format.footer({ durationMs })
  );
}

/**
 * Writes a run folder as timeswarm lays it out (server/, client_N/ with table and sidecar),
 * from a model: 10 ms grid, one-way delays of 100–300 µs each way, a constant clock offset.
 */
export async function writeSyntheticRun(
  dir: string,
  clients: SyntheticClient[],
  seed = 1,
): Promise<void> {
  const random = seeded(seed);
  const serverRows: TimestampRow[] = [];
  const serverIp = '127.0.0.1';
  for (const client of clients) {
    const start = client.startMicros ?? Date.UTC(2026, 10, 24, 0, 12, 13) * 1000;
    const offset = Math.round(client.offsetMs * 1000);
    const rows: TimestampRow[] = [];
    const records: ExchangeRecord[] = [];
    for (let slot = 0; slot < client.slots; slot++) {
      if (client.missed?.includes(slot)) continue;
      const timerError = Math.round(random() * 200);
      const t1 = start + slot * 10_000 + timerError;
      rows.push({ senderIp: client.address, receiverIp: serverIp, timeMicros: t1 });
      if (client.lostUp?.includes(slot)) {
        records.push({
          seq: slot,
          t1,
          t2: null,
          t3: null,
          t4: null,
          rttMicros: null,
          timerErrorMicros: timerError,
        });
        continue;
      }
      const up = 100 + Math.round(random() * 200);
      const hold = 5 + Math.round(random() * 10);
      const down = 100 + Math.round(random() * 200);
      const t2 = t1 + up + offset;
      const t3 = t2 + hold;
      serverRows.push({ senderIp: client.address, receiverIp: serverIp, timeMicros: t1 });
      serverRows.push({ senderIp: serverIp, receiverIp: client.address, timeMicros: t3 });
      if (client.lostDown?.includes(slot)) {
        records.push({
          seq: slot,
          t1,
          t2: null,
          t3: null,
          t4: null,
          rttMicros: null,
          timerErrorMicros: timerError,
        });
        continue;
      }
      const t4 = t1 + up + hold + down;
      rows.push({ senderIp: serverIp, receiverIp: client.address, timeMicros: t3 });
      records.push({ seq: slot, t1, t2, t3, t4, rttMicros: t4 - t1, timerErrorMicros: timerError });
    }
    const clientDir = join(dir, `client_${client.clientId}`);
    await mkdir(clientDir, { recursive: true });
    const durationMs = client.slots * 10;
    await writeFile(
      join(clientDir, clientTableName(client.clientId)),
      render(timestampTableFormat, rows, durationMs),
    );
    await writeFile(
      join(clientDir, exchangeLogName(client.clientId)),
      render(exchangeLogFormat, records, durationMs),
    );
  }
  await mkdir(join(dir, 'server'), { recursive: true });
  await writeFile(
    join(dir, 'server', SERVER_TABLE_NAME),
    render(timestampTableFormat, serverRows, 1000),
  );
}
