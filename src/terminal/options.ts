import { InvalidArgumentError, Option } from 'commander';
import ms from 'ms';
import { LOG_LEVELS, type LogLevel } from '../log/levels';
// Type only: parsing options must load nothing but commander and ms (see src/options.ts).
import type { HostPort } from '../runtime/start';

/**
 * Parsers for command-line values. Each throws commander's InvalidArgumentError, which
 * commander turns into `error: option '--duration <time>' argument '5x' is invalid. …`
 * and exit code 1.
 */

/** `10ms`, `20s`, `5m`, `1.5h` → milliseconds. A bare number is refused: say the unit. */
export function parseDuration(value: string): number {
  const parsed = /^\d+(\.\d+)?\s*[a-z]+$/i.test(value.trim())
    ? ms(value.trim() as ms.StringValue)
    : undefined;
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed <= 0) {
    throw new InvalidArgumentError(
      'Expected a positive duration with a unit, such as 10ms, 20s or 5m.',
    );
  }
  return parsed;
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535)
    throw new InvalidArgumentError('Expected a port number 0-65535.');
  return port;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('Expected a positive whole number.');
  }
  return n;
}

/** A whole number, 0 allowed. */
export function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('Expected a whole number (0 or more).');
  }
  return n;
}

/** `HOST:PORT`, `[::1]:PORT`, or just `HOST` (then `defaultPort`). */
export function parseHostPort(value: string, defaultPort?: number): HostPort {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  const plain = /^([^:[\]]+)(?::(\d+))?$/.exec(value);
  const match = bracketed ?? plain;
  const portText = match?.[2];
  if (!match || (portText === undefined && defaultPort === undefined)) {
    throw new InvalidArgumentError('Expected HOST:PORT, such as 127.0.0.1:5555.');
  }
  return { host: match[1]!, port: portText === undefined ? defaultPort! : parsePort(portText) };
}

export function parseLogLevel(value: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`Expected one of ${LOG_LEVELS.join(', ')}.`);
  }
  return value as LogLevel;
}

/** An IPv4 or IPv6 address (no host names: it is bound locally). */
export function parseIp(value: string): string {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value);
  if (v4?.slice(1).every((part) => Number(part) <= 255)) return value;
  if (/^[0-9a-f:]+$/i.test(value) && value.includes(':')) return value;
  throw new InvalidArgumentError('Expected an IP address, such as 127.0.0.2.');
}

/**
 * `--secret`, also read from `TIMESWARM_SECRET` (better: a command line is visible to every
 * user of the machine in `ps`).
 */
export function secretOption(): Option {
  return new Option(
    '--secret <secret>',
    'shared secret: both sides must prove they know it (HMAC challenge-response)',
  )
    .env('TIMESWARM_SECRET')
    .argParser((value: string) => {
      if (value.length === 0) throw new InvalidArgumentError('The secret must not be empty.');
      return value;
    });
}

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  kib: 1024,
  mb: 1e6,
  mib: 1024 ** 2,
  gb: 1e9,
  gib: 1024 ** 3,
};

/** `64KiB`, `4MB`, `1.5MiB`, `1000` → bytes. */
export function parseSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?$/i.exec(value.trim());
  const bytes = m ? Math.round(Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]!) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new InvalidArgumentError('Expected a size such as 64KiB, 4MB or 1048576.');
  }
  return bytes;
}

/** `2MB/s`, `500KiB`, `unlimited` → bytes per second (null: no cap). */
export function parseRate(value: string): number | null {
  if (/^(unlimited|none|0)$/i.test(value.trim())) return null;
  try {
    return parseSize(value.trim().replace(/\/s$/i, ''));
  } catch {
    throw new InvalidArgumentError('Expected a rate such as 2MB/s, 500KiB/s or unlimited.');
  }
}

/** `host:port,host:port` (the option may also be repeated). */
export function parsePeerList(value: string, previous: HostPort[] = []): HostPort[] {
  const parts = value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new InvalidArgumentError('Expected HOST:PORT[,HOST:PORT…].');
  return [...previous, ...parts.map((p) => parseHostPort(p))];
}
