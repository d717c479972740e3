import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import Table from 'cli-table3';

/** Where every benchmark writes its JSON (gitignored). */
export const RESULTS_DIR = join(__dirname, '..', 'results');

/** Median of a sample (NaN when empty). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The q-quantile (0..1) of a sample, linear interpolation between closest ranks. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** `ours / baseline`, or NaN when the baseline is 0 or missing. */
export function ratio(ours: number, baseline: number): number {
  return baseline === 0 || !Number.isFinite(baseline) ? Number.NaN : ours / baseline;
}

/** A number for a table cell: fixed decimals, thousands kept readable, `–` for NaN. */
export function fmt(value: number | null | undefined, decimals = 0): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  return value.toLocaleString('en-US', {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  });
}

/** Prints a table to stdout. */
export function printTable(title: string, head: string[], rows: (string | number)[][]): void {
  const table = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map(String));
  console.log(`\n${title}\n${table.toString()}`);
}

const LOADAVG_AT_START = os.loadavg();

/** The machine the figures come from, recorded in every results file. */
export function machineInfo(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    /** 1/5/15-minute load averages when the benchmark started and when it ended (2 cores). */
    loadavgAtStart: LOADAVG_AT_START,
    loadavgAtEnd: os.loadavg(),
  };
}

/**
 * Writes `bench/results/<name>-<timestamp>.json` and `bench/results/<name>-latest.json`;
 * returns the first path.
 */
export function writeResults(name: string, data: Record<string, unknown>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const date = new Date().toISOString();
  const body = `${JSON.stringify({ benchmark: name, date, machine: machineInfo(), command: commandLine(), ...data }, null, 2)}\n`;
  const path = join(RESULTS_DIR, `${name}-${date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, body);
  writeFileSync(join(RESULTS_DIR, `${name}-latest.json`), body);
  console.log(`\nresults: ${path}`);
  return path;
}

function commandLine(): string {
  return process.argv
    .slice(1)
    .map((arg) => arg.replace(process.cwd() + '/', ''))
    .join(' ');
}
