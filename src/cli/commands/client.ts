import { type Command, Option } from 'commander';
import {
  checkSessionLength,
  durationParser,
  type HostPort,
  type InspectFlags,
  inspectHostOption,
  inspectOption,
  parseClientId,
  parseDuration,
  parseHostPort,
  parseInterval,
  parseIp,
  parsePath,
  parsePeerList,
  prepareOutputDirectory,
  secretOption,
  wholeNumber,
} from '../../options';
import { addShareOptions } from './share';

/** The implementation, loaded when the command runs: `--help` and `--version` stay light. */
const load = () => require('./runClient') as typeof import('./runClient');

export interface ClientOptions {
  server: HostPort;
  id?: number;
  interval: number;
  duration: number;
  bind?: string;
  out: string;
  spin: number;
  retries: number;
  reconnect: number;
  secret?: string;
  json?: boolean;
  quiet?: boolean;
  inspect?: InspectFlags['inspect'];
  inspectHost?: string;
  /** After the session, share the file with these peers (see `timeswarm share`). */
  peers?: HostPort[];
}

export function registerClientCommand(program: Command): void {
  const command = program
    .command('client')
    .description(
      'Run one client session: tick the server every interval for the duration, log every timestamp',
    )
    .addOption(
      new Option('--server <host:port>', 'the timestamp server')
        .argParser((v) => parseHostPort(v, 5555))
        .default({ host: '127.0.0.1', port: 5555 }, '127.0.0.1:5555'),
    )
    .option(
      '--id <n>',
      'client ID to ask for, 1-1000000 (default: the server assigns one)',
      parseClientId,
    )
    .addOption(
      new Option('--interval <time>', 'time between ticks (at most 1h)')
        .argParser(parseInterval)
        .default(10, '10ms'),
    )
    .addOption(
      new Option('--duration <time>', 'session length')
        .argParser(parseDuration)
        .default(300_000, '5m'),
    )
    .option('--bind <ip>', 'local address to connect from (e.g. 127.0.0.2)', parseIp)
    .option(
      '--out <dir>',
      'folder for client_N_TimeData.txt and its .exchanges.csv sidecar (an earlier pair is kept as client_N_TimeData.1.txt…)',
      parsePath,
      '.',
    )
    .addOption(
      new Option('--spin <time>', 'spin this long before each tick for sub-ms timing (0ms: off)')
        .argParser(parseSpin)
        .default(1, '1ms'),
    )
    .option(
      '--retries <n>',
      'connection attempts before giving up, 1-1000 (backoff from 250 ms, doubling)',
      wholeNumber(1, 1000),
      5,
    )
    .option(
      '--reconnect <n>',
      'if the server goes away mid-session: reconnect attempts before giving up, 0-1000 (0: none)',
      wholeNumber(0, 1000),
      5,
    )
    .addOption(secretOption())
    .option('--json', 'print the final summary as one JSON document on stdout')
    .option(
      '--quiet',
      'no live progress bar: a plain progress line every 5 s (as when not on a TTY)',
    )
    .addOption(inspectOption())
    .addOption(inspectHostOption())
    .option(
      '--peers <host:port,…>',
      'after the session, share this client’s file with these peers (timeswarm share; its options below apply)',
      parsePeerList,
    );
  addShareOptions(command)
    .addHelpText(
      'after',
      '\nExample: timeswarm client --server 127.0.0.1:5555 --id 1 --duration 20s --out out/c1',
    )
    .action(async (options: ClientOptions) => {
      checkSessionLength(options.duration, options.interval);
      // Before anything connects (and before XState and the rest are loaded): a folder that
      // cannot be written fails here, naming it.
      await prepareOutputDirectory(options.out);
      return load().runClient(options);
    });
}

const parseSpinDuration = durationParser({ max: 1000 });
function parseSpin(value: string): number {
  return value === '0' || value === '0ms' ? 0 : parseSpinDuration(value);
}
