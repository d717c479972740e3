import { type Command, InvalidArgumentError, Option } from 'commander';
import ms from 'ms';
import {
  type InspectFlags,
  inspectHostOption,
  inspectOption,
  parseDuration,
  parseInterval,
  parseMaxClients,
  parsePath,
  parsePort,
  prepareOutputDirectory,
  secretOption,
  wholeNumber,
} from '../../options';

/** The implementation, loaded when the command runs: `--help` and `--version` stay light. */
const load = () => require('./runServer') as typeof import('./runServer');

export interface ServerOptions {
  host: string;
  port: number;
  out: string;
  handshakeTimeout: number;
  maxClients: number;
  maxPending: number;
  maxPendingPerIp: number;
  minInterval: number;
  maxInterval: number;
  tickBurst: number;
  idleTimeout: number;
  maxReplyDelay: number;
  secret?: string;
  json?: boolean;
  quiet?: boolean;
  skew?: number;
  inspect?: InspectFlags['inspect'];
  inspectHost?: string;
}

/**
 * `--skew`: a signed duration (`25ms`, `-25ms`, `+1.5ms`, `0ms`). Positive puts the server's
 * clock ahead of the real time, so `analyze` reports an offset θ (server minus client) of
 * about +25 ms against a client with a correct clock.
 */
export function parseSkew(value: string): number {
  const match = /^([+-]?)(\d+(?:\.\d+)?\s*[a-z]+)$/i.exec(value.trim());
  const magnitude = match ? ms(match[2]! as ms.StringValue) : undefined;
  if (
    !match ||
    typeof magnitude !== 'number' ||
    !Number.isFinite(magnitude) ||
    magnitude > MAX_SKEW_MS
  ) {
    throw new InvalidArgumentError(
      'Expected a signed duration with a unit, such as 25ms or -25ms, at most a day either way.',
    );
  }
  return match[1] === '-' ? -magnitude : magnitude;
}

/** `--skew` is for testing offset estimation: a day either way is far beyond any real clock. */
const MAX_SKEW_MS = 24 * 3_600_000;

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description(
      'Run the timestamp server: answer every client tick with the server time, log all of it',
    )
    .option('--host <ip>', 'address to listen on', '0.0.0.0')
    .option('--port <port>', 'TCP port (0 picks a free one)', parsePort, 5555)
    .option(
      '--out <dir>',
      'folder for serverTimeData.txt (an earlier one is kept as serverTimeData.1.txt…)',
      parsePath,
      '.',
    )
    .addOption(
      new Option('--handshake-timeout <time>', 'cut off a client that sends no hello within this')
        .argParser(parseDuration)
        .default(5000, '5s'),
    )
    .option(
      '--max-clients <n>',
      'most clients at once, 1-1000000; more are refused',
      parseMaxClients,
      10_000,
    )
    .option(
      '--max-pending <n>',
      'most connections at once that have not said hello (or proved the secret), 1-1000000; more are closed at accept',
      parseMaxClients,
      1024,
    )
    .option(
      '--max-pending-per-ip <n>',
      'the same, from one source address, 1-1000000',
      parseMaxClients,
      128,
    )
    .addOption(
      new Option('--min-interval <time>', 'refuse clients that tick faster than this')
        .argParser(parseInterval)
        .default(10, '10ms'),
    )
    .addOption(
      new Option(
        '--max-interval <time>',
        'refuse clients that announce a slower tick than this (it bounds how long a silent client may stay)',
      )
        .argParser(parseInterval)
        .default(1000, '1s'),
    )
    .option(
      '--tick-burst <n>',
      'ticks a client may send ahead of one per --min-interval (by arrival) before it is cut off, 1-100000',
      wholeNumber(1, 100_000),
      20,
    )
    .addOption(
      new Option(
        '--idle-timeout <time>',
        'cut off a client silent this long (or 3 of its intervals if longer, at most 3 × --max-interval)',
      )
        .argParser(parseDuration)
        .default(5000, '5s'),
    )
    .addOption(
      new Option(
        '--max-reply-delay <time>',
        'cut off a client whose replies have waited this long for its ack, or to leave the process (it does not read them)',
      )
        .argParser(parseDuration)
        .default(10_000, '10s'),
    )
    .addOption(secretOption())
    .addOption(
      new Option(
        '--skew <time>',
        "shift the server's clock by a known amount, e.g. 25ms or -25ms (positive: server ahead; analyze then reports offset θ ≈ +25 ms)",
      ).argParser(parseSkew),
    )
    .option('--json', 'print the final summary as one JSON document on stdout')
    .option('--quiet', 'no live status line (it is shown only on a TTY anyway)')
    .addOption(inspectOption())
    .addOption(inspectHostOption())
    .addHelpText(
      'after',
      '\nRuns until SIGINT (Ctrl-C) or SIGTERM, then finishes the file and exits 0.',
    )
    .action(async (options: ServerOptions) => {
      if (options.minInterval > options.maxInterval) {
        throw Object.assign(
          new Error(
            `--min-interval (${options.minInterval} ms) is above --max-interval (${options.maxInterval} ms)`,
          ),
          { code: 'ERR_INVALID_ARGUMENT' },
        );
      }
      // Before anything listens (and before XState and the rest are loaded): a folder that
      // cannot be written fails here, naming it.
      await prepareOutputDirectory(options.out);
      return load().runServer(options);
    });
}
