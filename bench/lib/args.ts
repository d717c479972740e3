import { parseArgs } from 'node:util';
import ms from 'ms';

/** Parses `30s`, `5m`, `10ms` (or a bare number of ms). */
export function duration(text: string): number {
  const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : ms(text as ms.StringValue);
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new Error(`not a duration: ${text} (write 30s, 5m, 10ms)`);
  }
  return value;
}

/** A comma-separated list of positive integers: `250,500,1000`. */
export function intList(text: string): number[] {
  const values = text.split(',').map((part) => Number(part.trim()));
  if (values.some((v) => !Number.isInteger(v) || v <= 0))
    throw new Error(`not a list of counts: ${text}`);
  return values;
}

export function positiveInt(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`not a positive integer: ${text}`);
  return value;
}

/** Parses `--name value` flags (all strings) and `--flag` booleans for a benchmark. */
export function benchArgs<S extends string, B extends string>(
  strings: readonly S[],
  booleans: readonly B[] = [],
): { [K in S]?: string } & { [K in B]?: boolean } {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const name of strings) options[name] = { type: 'string' };
  for (const name of booleans) options[name] = { type: 'boolean' };
  const { values } = parseArgs({ args: process.argv.slice(2), options, allowPositionals: false });
  return values as { [K in S]?: string } & { [K in B]?: boolean };
}
