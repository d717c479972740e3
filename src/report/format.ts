/**
 * Numbers as a person reads them in the report's tables: durations in µs below a millisecond,
 * ms below a second, s above; bytes in kB/MB (SI, 1000). The page script has the same rules
 * for its axes (pageScript.ts).
 */

/** 0.2134 → `213 µs`, 1.234 → `1.23 ms`, 45.6 → `45.6 ms`, 1234 → `1.23 s`; null → `–`. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const abs = Math.abs(ms);
  if (abs === 0) return '0';
  if (abs < 1) return `${trim(ms * 1000, abs * 1000 < 10 ? 1 : 0)} µs`;
  if (abs < 1000) return `${trim(ms, abs < 10 ? 2 : abs < 100 ? 1 : 0)} ms`;
  return `${trim(ms / 1000, 2)} s`;
}

/** 8_000_000 → `8 MB`, 9100 → `9.1 kB`, 512 → `512 B`. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '–';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${trim(value, unit === 0 ? 0 : Math.abs(value) < 10 ? 2 : 1)} ${units[unit]}`;
}

/** 12345 → `12,345`. */
export const formatCount = (n: number | null | undefined) =>
  n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US');

/** 0.01234 → `1.23%`; tiny but non-zero ratios keep a significant digit. */
export function formatRatio(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–';
  if (ratio === 0) return '0%';
  const pct = ratio * 100;
  return `${pct < 0.01 ? pct.toPrecision(1) : trim(pct, 2)}%`;
}

/** Fixed decimals without trailing zeros: 1.50 → `1.5`. */
function trim(value: number, digits: number): string {
  return String(Number(value.toFixed(digits)));
}
