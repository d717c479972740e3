import { FormatError } from './errors';
import type { EndInfo, RecordFormat } from './recordFormat';

/**
 * The four timestamps of one exchange (NTP's t1..t4), in µs since the epoch on each side's
 * wall clock, plus what only the client's monotonic clock can tell. Missing values are
 * `null`: a tick whose reply never came has only `t1`.
 */
export interface ExchangeRecord {
  seq: number;
  /** Client send (client clock). */
  t1: number;
  /** Server receive (server clock). */
  t2: number | null;
  /** Server send (server clock). */
  t3: number | null;
  /** Client receive (client clock). */
  t4: number | null;
  /** Round trip on the client's monotonic clock, µs. */
  rttMicros: number | null;
  /** How late the tick left against its slot on the grid, µs. */
  timerErrorMicros: number;
}

const COLUMNS = 'seq,t1_us,t2_us,t3_us,t4_us,rtt_us,timer_error_us';
export const EXCHANGE_LOG_SUFFIX = '.exchanges.csv';
/** Sidecar name beside a client table: `client_3_TimeData.exchanges.csv`. */
export const exchangeLogName = (clientId: number) =>
  `client_${clientId}_TimeData${EXCHANGE_LOG_SUFFIX}`;

const cell = (value: number | null) => (value === null ? '' : String(Math.round(value)));

/** CSV with one line per exchange and a `# end` comment line: easy to load anywhere. */
export const exchangeLogFormat: RecordFormat<ExchangeRecord> = {
  header: `${COLUMNS}\n`,
  line(r) {
    return `${r.seq},${cell(r.t1)},${cell(r.t2)},${cell(r.t3)},${cell(r.t4)},${cell(r.rttMicros)},${cell(r.timerErrorMicros)}\n`;
  },
  footer(end: EndInfo) {
    const early = end.endedEarly ? `,ended_early=${JSON.stringify(end.endedEarly)}` : '';
    const notes = end.notes ? `,notes=${JSON.stringify(end.notes)}` : '';
    return `# end,duration_ms=${Math.round(end.durationMs)}${notes}${early}\n`;
  },
};

export interface ParsedExchangeLog {
  records: ExchangeRecord[];
  end: EndInfo | null;
}

/**
 * Reads a sidecar back. Every line the writer writes ends with a newline, so a last line
 * without one was cut by a crash and is dropped whatever it looks like (a cut inside the last
 * number still has 7 cells). Anything else malformed, or any line after `# end`, throws.
 */
export function parseExchangeLog(text: string, path?: string): ParsedExchangeLog {
  const lines = text.split('\n');
  // The part after the last newline: '' for a complete file, else a line cut by a crash.
  lines.pop();
  if (lines[0] !== COLUMNS) throw new FormatError(`expected header ${COLUMNS}`, 1, path);
  const records: ExchangeRecord[] = [];
  let end: EndInfo | null = null;
  const num = (text: string, line: number, optional: boolean): number | null => {
    if (text === '' && optional) return null;
    const value = Number(text);
    if (text === '' || !Number.isFinite(value))
      throw new FormatError(`bad number ${JSON.stringify(text)}`, line, path);
    return value;
  };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('# end,')) {
      const duration = /duration_ms=(\d+)/.exec(line);
      const early = /ended_early=("(?:[^"\\]|\\.)*")/.exec(line);
      const notes = /notes=("(?:[^"\\]|\\.)*")/.exec(line);
      if (!duration) throw new FormatError('malformed end line', i + 1, path);
      end = {
        durationMs: Number(duration[1]),
        ...(notes ? { notes: JSON.parse(notes[1]!) as string } : {}),
        ...(early ? { endedEarly: JSON.parse(early[1]!) as string } : {}),
      };
      if (i !== lines.length - 1) throw new FormatError('lines after the end line', i + 2, path);
      break;
    }
    const cells = line.split(',');
    if (cells.length !== 7) throw new FormatError('expected 7 columns', i + 1, path);
    const n = i + 1;
    records.push({
      seq: num(cells[0]!, n, false)!,
      t1: num(cells[1]!, n, false)!,
      t2: num(cells[2]!, n, true),
      t3: num(cells[3]!, n, true),
      t4: num(cells[4]!, n, true),
      rttMicros: num(cells[5]!, n, true),
      timerErrorMicros: num(cells[6]!, n, false)!,
    });
  }
  return { records, end };
}
