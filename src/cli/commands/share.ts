import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  type HostPort,
  type InspectFlags,
  inspectHostOption,
  inspectOption,
  parseDuration,
  parseHostPort,
  parsePath,
  parsePeerIdList,
  parsePeerList,
  parseRate,
  parseSize,
  prepareOutputDirectory,
  secretOption,
  wholeNumber,
} from '../../options';

/** The implementation, loaded when the command runs: `--help` and `--version` stay light. */
const load = () => require('./runShare') as typeof import('./runShare');

/** Exit codes of `timeswarm share` (and of `timeswarm client --peers` after its session). */
export const SHARE_EXIT = {
  ok: 0,
  /** Something else went wrong: a --file cannot be read, the address cannot be bound, … */
  error: 1,
  /** The exchange ran but not every file was obtained (each is named with the reason). */
  missing: 2,
  /**
   * A name has two different contents signed by different owners (`ERR_NAME_CONFLICT`, both
   * owners named; docs/protocol-p2p.md §9.6): it fails on every peer that sees both. Wins
   * over `missing` when both apply.
   */
  conflict: 3,
} as const;

const collect = (value: string, previous: string[] = []) => [...previous, parsePath(value)];

/**
 * Limits of the peer protocol the share flags are checked against: MAX_CHUNK_SIZE
 * (storage/manifest.ts) and MAX_FILES (the swarm's). Written out here so that declaring the
 * command loads nothing else; test/cli/options.test.ts checks that they agree.
 */
export const SHARE_LIMITS = { maxChunkSize: 1024 * 1024, maxFiles: 1024 } as const;

/** A chunk size the peer protocol carries: 1 byte to 1 MiB. */
function parseChunkSize(value: string): number {
  const bytes = parseSize(value);
  if (bytes > SHARE_LIMITS.maxChunkSize) {
    throw new InvalidArgumentError(
      `Expected a chunk size up to ${SHARE_LIMITS.maxChunkSize} bytes (1MiB).`,
    );
  }
  return bytes;
}

export interface ShareOptions {
  file?: string[];
  dir: string;
  listen: HostPort;
  advertise?: HostPort;
  peers?: HostPort[];
  expect?: number;
  maxConnections: number;
  uploadLimit: number | null;
  linger: number;
  giveUp: number;
  discoveryTimeout: number;
  chunkSize: number;
  /** The peer's key file (created, mode 0600, on first run). */
  key?: string;
  secret?: string;
  /** Owners whose manifests count; without it, every owner does (docs/protocol-p2p.md §9.6). */
  trust?: string[];
  json?: boolean;
  quiet?: boolean;
  inspect?: InspectFlags['inspect'];
  inspectHost?: string;
}

/** The `share` options, also offered by `client` for sharing after its session (`--peers`). */
export function addShareOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--listen <host:port>', 'address to accept peers on (port 0: any free port)')
        .argParser((v) => parseHostPort(v))
        .default({ host: '0.0.0.0', port: 0 }, '0.0.0.0:0'),
    )
    .addOption(
      new Option(
        '--advertise <host:port>',
        'address other peers should dial, if not the listening one',
      ).argParser((v) => parseHostPort(v)),
    )
    .addOption(
      new Option(
        '--expect <k>',
        `number of files in the swarm, 1-${SHARE_LIMITS.maxFiles}: complete only once all k are held`,
      ).argParser(wholeNumber(1, SHARE_LIMITS.maxFiles)),
    )
    .addOption(
      new Option('--max-connections <n>', 'most peers connected at once, 1-1000')
        .argParser(wholeNumber(1, 1000))
        .default(8),
    )
    .addOption(
      new Option('--upload-limit <rate>', 'upload cap for all peers together, e.g. 2MB/s')
        .argParser(parseRate)
        .default(null, 'unlimited'),
    )
    .addOption(
      new Option(
        '--linger <time>',
        'after holding every file, keep serving until the peers it knows are done; leave after this long with nothing moving',
      )
        .argParser(parseDuration)
        .default(10_000, '10s'),
    )
    .addOption(
      new Option('--give-up <time>', 'with files missing and nothing happening, give up after')
        .argParser(parseDuration)
        .default(15_000, '15s'),
    )
    .addOption(
      new Option('--discovery-timeout <time>', 'give up if no peer is reached within')
        .argParser(parseDuration)
        .default(30_000, '30s'),
    )
    .addOption(
      new Option('--chunk-size <size>', 'chunk size for the files this peer contributes')
        .argParser(parseChunkSize)
        .default(64 * 1024, '64KiB'),
    )
    .option(
      '--trust <ID,…>',
      'accept files only from these owners (peer IDs as printed after "fingerprint"); without it, two different files under one name fail that name everywhere',
      parsePeerIdList,
    )
    .option(
      '--key <path>',
      'this peer’s Ed25519 key file, created (mode 0600) on first run; its fingerprint is the peer ID (default: <dir>/.timeswarm-peer.key)',
      parsePath,
    );
}

export function registerShareCommand(program: Command): void {
  const command = program
    .command('share')
    .description(
      'Share files with k peers, server-free: every peer ends with every file, each chunk and file verified by SHA-256',
    )
    .option('--file <path>', 'a file this peer contributes (repeat for several)', collect)
    .requiredOption('--dir <dir>', 'where received files go, each under its own name', parsePath);
  addShareOptions(command)
    .option(
      '--peers <host:port,…>',
      'peers to contact first (one live peer is enough; peers tell each other whom they know)',
      parsePeerList,
    )
    .addOption(secretOption())
    .option('--json', 'print the final summary as one JSON document on stdout')
    .option('--quiet', 'no progress lines')
    .addOption(inspectOption())
    .addOption(inspectHostOption())
    .addHelpText(
      'after',
      '\nExit codes: 0 every file held and verified; 2 files missing (each named, with why); 3 a name with two contents from different owners (ERR_NAME_CONFLICT); 1 other errors.' +
        '\n\nExample (three peers on one host):' +
        '\n  timeswarm share --file a.txt --dir out/a --listen 127.0.0.1:7001 --expect 3' +
        '\n  timeswarm share --file b.txt --dir out/b --listen 127.0.0.1:7002 --peers 127.0.0.1:7001 --expect 3' +
        '\n  timeswarm share --file c.txt --dir out/c --listen 127.0.0.1:7003 --peers 127.0.0.1:7001 --expect 3',
    )
    .action(async (options: ShareOptions) => {
      // Before anything listens or dials (and before XState and the rest are loaded): a
      // folder that cannot be written fails here, naming it.
      await prepareOutputDirectory(options.dir);
      const { runShare, shareInput } = load();
      process.exitCode = await runShare(shareInput(options), options);
    });
}
