/** Calendar date and time of day, UTC, as the table shows them. */
export interface DateTimeText {
  /** `YYYY-MM-DD` */
  date: string;
  /** `HH:MM:SS.ffffff` */
  time: string;
}

let cachedSecond = Number.NaN;
let cachedDate = '';
let cachedClock = '';

/**
 * Formats microseconds since the Unix epoch as UTC date and time with microseconds.
 * Rows arrive many per second, so the date and `HH:MM:SS` of the current second are cached.
 */
export function formatMicros(micros: number): DateTimeText {
  const second = Math.floor(micros / 1_000_000);
  if (second !== cachedSecond) {
    const iso = new Date(second * 1000).toISOString(); // 2026-11-24T00:12:13.000Z
    cachedSecond = second;
    cachedDate = iso.slice(0, 10);
    cachedClock = iso.slice(11, 19);
  }
  const fraction = String(micros - second * 1_000_000).padStart(6, '0');
  return { date: cachedDate, time: `${cachedClock}.${fraction}` };
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2}):(\d{2})\.(\d{6})$/;

/** Inverse of {@link formatMicros}; returns `null` when either part is malformed. */
export function parseDateTime(date: string, time: string): number | null {
  const d = DATE.exec(date);
  const t = TIME.exec(time);
  if (!d || !t) return null;
  const ms = Date.UTC(
    Number(d[1]),
    Number(d[2]) - 1,
    Number(d[3]),
    Number(t[1]),
    Number(t[2]),
    Number(t[3]),
  );
  if (Number.isNaN(ms)) return null;
  const back = new Date(ms).toISOString();
  if (back.slice(0, 10) !== date || back.slice(11, 19) !== time.slice(0, 8)) return null; // 2026-02-30 and such
  return ms * 1000 + Number(t[4]);
}

/**
 * A duration as people write it: `5 minutes`, `20 seconds`, `1 minute 12.345 seconds`.
 * Millisecond precision; trailing zeros dropped.
 */
export function formatDurationText(ms: number): string {
  const totalMs = Math.max(0, Math.round(ms));
  const minutes = Math.floor(totalMs / 60_000);
  const seconds = (totalMs - minutes * 60_000) / 1000;
  const parts: string[] = [];
  if (minutes > 0) parts.push(`${minutes} minute${minutes === 1 ? '' : 's'}`);
  if (seconds > 0 || minutes === 0) {
    const text = seconds.toFixed(3).replace(/\.?0+$/, '');
    parts.push(`${text} second${text === '1' ? '' : 's'}`);
  }
  return parts.join(' ');
}

/** Inverse of {@link formatDurationText}; `null` when the text is not of that shape. */
export function parseDurationText(text: string): number | null {
  // Minutes, seconds, or both separated by exactly one space.
  const match = /^(?:(\d+) minutes?(?= \d|$) ?)?(?:(\d+(?:\.\d+)?) seconds?)?$/.exec(text);
  if (!match || (match[1] === undefined && match[2] === undefined)) return null;
  return Math.round(Number(match[1] ?? 0) * 60_000 + Number(match[2] ?? 0) * 1000);
}
