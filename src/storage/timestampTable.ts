import { FormatError } from './errors';
import type { EndInfo, RecordFormat } from './recordFormat';
import { formatDurationText, formatMicros, parseDateTime, parseDurationText } from './timeFormat';

/** One timestamp message, sent or received, as a row of the table. */
export interface TimestampRow {
  senderIp: string;
  receiverIp: string;
  /** The timestamp the message carries (the sender's wall clock), µs since the epoch, UTC. */
  timeMicros: number;
}

export const TABLE_TITLE = 'Timestamp Data';
export const TABLE_HEADER = "| # | Sender's IP | Receiver's IP | Date | Time |";
export const TABLE_RULE = '|---|-------------|---------------|------|------|';
const FOOTER =
  /^End of Timestamp Data \(after (.+?)(?:; (?!ended early: )([^;]+?))?(?:; ended early: (.*))?\)$/;

/** File name of a client's table: `client_3_TimeData.txt`. */
export const clientTableName = (clientId: number) => `client_${clientId}_TimeData.txt`;
/** File name of the server's table. */
export const SERVER_TABLE_NAME = 'serverTimeData.txt';

// A reason becomes part of a one-line footer: keep it on one line and free of the closing paren.
// A reason with nothing left after that still says the session ended early.
const oneLine = (text: string) => text.replace(/[\r\n)]+/g, ' ').trim() || 'no reason given';
// Row numbers as the writer prints them (no sign, no leading zero, no blanks); an address is
// one word without the column separator.
const ROW_NUMBER = /^[1-9]\d*$/;
const ADDRESS = /^[^\s|]+$/;

/** The `Timestamp Data` table of DESIGN.md: five columns, numbered rows, UTC microseconds. */
export const timestampTableFormat: RecordFormat<TimestampRow> = {
  header: `${TABLE_TITLE}\n\n${TABLE_HEADER}\n${TABLE_RULE}\n`,
  line(row, index) {
    const { date, time } = formatMicros(row.timeMicros);
    return `| ${index} | ${row.senderIp} | ${row.receiverIp} | ${date} | ${time} |\n`;
  },
  footer(end: EndInfo) {
    const early = end.endedEarly ? `; ended early: ${oneLine(end.endedEarly)}` : '';
    const notes = end.notes ? `; ${oneLine(end.notes).replace(/;/g, ',')}` : '';
    return `End of Timestamp Data (after ${formatDurationText(end.durationMs)}${notes}${early})\n`;
  },
};

export interface ParsedRow extends TimestampRow {
  index: number;
  date: string;
  time: string;
}

export interface ParsedTable {
  rows: ParsedRow[];
  /** The footer's content; `null` when the file has none (the writer never finished it). */
  end: (EndInfo & { durationText: string }) | null;
  /** True when the file has no footer or its last line was cut: the process died mid-run. */
  endedAbruptly: boolean;
}

/**
 * Reads a table file back, strictly: every line must be where the format puts it, rows must
 * be numbered 1, 2, 3… without gaps, dates and times must be valid. A file without footer,
 * or whose last line was cut off by a crash, parses with `endedAbruptly: true`.
 *
 * @throws FormatError naming the line that is wrong.
 */
export function parseTimestampTable(text: string, path?: string): ParsedTable {
  const lines = text.split('\n');
  const cutLast = lines.length > 0 && lines[lines.length - 1] !== '';
  if (!cutLast) lines.pop();
  const expect = (i: number, wanted: string) => {
    if (lines[i] !== wanted)
      throw new FormatError(`expected ${JSON.stringify(wanted)}`, i + 1, path);
  };
  expect(0, TABLE_TITLE);
  expect(1, '');
  expect(2, TABLE_HEADER);
  expect(3, TABLE_RULE);

  const rows: ParsedRow[] = [];
  let end: ParsedTable['end'] = null;
  for (let i = 4; i < lines.length; i++) {
    const line = lines[i]!;
    const isLast = i === lines.length - 1;
    if (line.startsWith('End of Timestamp Data')) {
      const match = FOOTER.exec(line);
      const durationMs = match ? parseDurationText(match[1]!) : null;
      if (!match || durationMs === null) {
        if (isLast && cutLast) break; // the writer died in the middle of the footer
        throw new FormatError('malformed footer', i + 1, path);
      }
      if (!isLast) throw new FormatError('lines after the footer', i + 2, path);
      end = {
        durationText: match[1]!,
        durationMs,
        ...(match[2] ? { notes: match[2] } : {}),
        ...(match[3] ? { endedEarly: match[3] } : {}),
      };
      break;
    }
    const cells = line.split(' | ');
    const valid = cells.length === 5 && cells[0]!.startsWith('| ') && cells[4]!.endsWith(' |');
    if (!valid) {
      if (isLast && cutLast) break; // the writer died in the middle of this line
      throw new FormatError('not a table row', i + 1, path);
    }
    const number = cells[0]!.slice(2);
    const index = ROW_NUMBER.test(number) ? Number(number) : Number.NaN;
    const [, senderIp, receiverIp, date] = cells as [string, string, string, string, string];
    const time = cells[4]!.slice(0, -2);
    const timeMicros = parseDateTime(date, time);
    if (index !== rows.length + 1) {
      throw new FormatError(
        `row number ${JSON.stringify(number)}, expected ${rows.length + 1}`,
        i + 1,
        path,
      );
    }
    if (!ADDRESS.test(senderIp) || !ADDRESS.test(receiverIp)) {
      throw new FormatError('invalid address', i + 1, path);
    }
    if (timeMicros === null) throw new FormatError('invalid date or time', i + 1, path);
    rows.push({ index, senderIp, receiverIp, date, time, timeMicros });
  }
  return { rows, end, endedAbruptly: end === null };
}
