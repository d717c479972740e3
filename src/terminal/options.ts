import { InvalidArgumentError, Option } from 'commander';
import ms from 'ms';
import { LOG_LEVELS, type LogLevel } from '../log/levels';
import { parsePeerId } from '../p2p/identity/peerId';
// Type only: parsing options must load nothing but commander and ms (see src/options.ts).
import type { HostPort } from '../runtime/start';
// The protocol's ranges, from a module that imports nothing.
import {
  MAX_CLIENT_ID,
  MAX_HELLO_INTERVAL_MS,
  MAX_SEQ,
  MIN_CLIENT_ID,
  MIN_HELLO_INTERVAL_MS,
} from '../transport/sessionLimits';

/**
 * Parsers for command-line values. Each throws commander's InvalidArgumentError, which
 * commander turns into `error: option '--duration <time>' argument '5x' is invalid. …`
 * and exit code 1.
 */

/**
 * Longest time any timer can wait: Node's setTimeout takes at most 2^31 − 1 ms (≈ 24.8 days)
 * and fires a longer one after 1 ms instead, so no duration option may exceed it.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * A parser for durations with a unit (`10ms`, `20s`, `5m`, `1.5h`) → milliseconds, within
 * [min, max]. A bare number is refused: say the unit.
 */
export function durationParser(
  range: { min?: number; max?: number } = {},
): (value: string) => number {
  const max = range.max ?? MAX_DURATION_MS;
  const min = range.min;
  // `1 hour` where that is exact; the timer limit as it is (`2147483647 ms`, not `25 days`).
  const maxText = max % 60_000 === 0 ? ms(max, { long: true }) : `${max} ms`;
  const expected =
    min === undefined
      ? `Expected a positive duration with a unit, such as 10ms, 20s or 5m, at most ${maxText}.`
      : `Expected a duration with a unit from ${min} ms to ${maxText}, such as 10ms or 5m.`;
  return (value) => {
    const parsed = /^\d+(\.\d+)?\s*[a-z]+$/i.test(value.trim())
      ? ms(value.trim() as ms.StringValue)
      : undefined;
    if (
      typeof parsed !== 'number' ||
      !Number.isFinite(parsed) ||
      parsed <= 0 ||
      parsed > max ||
      (min !== undefined && parsed < min)
    ) {
      throw new InvalidArgumentError(expected);
    }
    return parsed;
  };
}

/** Any positive duration a timer can wait (see {@link MAX_DURATION_MS}). */
export const parseDuration = durationParser();

/** A tick interval the session protocol accepts in a hello. */
export const parseInterval = durationParser({
  min: MIN_HELLO_INTERVAL_MS,
  max: MAX_HELLO_INTERVAL_MS,
});

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535)
    throw new InvalidArgumentError('Expected a port number 0-65535.');
  return port;
}

/** A parser for whole numbers in [min, max] (digits only: no sign, no exponent, no NaN). */
export function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError('Expected a positive whole number.');
  }
  return n;
}

/** A client ID, in the range the protocol allows (a larger one would only be refused later). */
export const parseClientId = wholeNumber(MIN_CLIENT_ID, MAX_CLIENT_ID);

/** `--max-clients`: there cannot be more clients than client IDs. */
export const parseMaxClients = wholeNumber(1, MAX_CLIENT_ID);

/**
 * A folder or file path: not empty (which would quietly mean the current folder) and without
 * NUL (which no filesystem accepts).
 */
export function parsePath(value: string): string {
  if (value.length === 0 || value.includes('\0')) {
    throw new InvalidArgumentError('Expected a path (not empty, no NUL character).');
  }
  return value;
}

/**
 * `--duration` over `--interval` must fit the protocol's 32-bit sequence numbers. A check of
 * two flags together, so it runs in the command's action.
 *
 * @throws an Error with code `ERR_INVALID_ARGUMENT`.
 */
export function checkSessionLength(durationMs: number, intervalMs: number): void {
  const ticks = Math.round(durationMs / intervalMs);
  if (ticks > MAX_SEQ) {
    throw Object.assign(
      new Error(
        `--duration / --interval is ${ticks} ticks; a session has at most ${MAX_SEQ} (use a longer interval or a shorter duration)`,
      ),
      { code: 'ERR_INVALID_ARGUMENT' },
    );
  }
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

/** Most IDs in one `--trust` list. */
export const MAX_TRUSTED_PEERS = 1024;

/**
 * `--trust ID,…`: peer IDs (52 base32 characters; case, spaces and `-` ignored, so the
 * printed fingerprint may be pasted). Repeating the option adds to the list.
 */
export function parsePeerIdList(value: string, previous: string[] = []): string[] {
  const ids = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  if (ids.length === 0) throw new InvalidArgumentError('Expected one or more peer IDs.');
  const out = [...previous];
  for (const id of ids) {
    try {
      out.push(parsePeerId(id));
    } catch {
      throw new InvalidArgumentError(
        `Not a peer ID: expected 52 base32 characters (A-Z, 2-7), as printed after "fingerprint".`,
      );
    }
  }
  if (out.length > MAX_TRUSTED_PEERS)
    throw new InvalidArgumentError(`At most ${MAX_TRUSTED_PEERS} peer IDs.`);
  return [...new Set(out)];
}
