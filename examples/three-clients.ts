/**
 * The whole assignment on loopback: a server on port 5555, client 1, then clients 2 and 3
 * while client 1 is exchanging, each for 5 minutes; then a summary per client.
 *
 *   npm run example:three-clients
 *   npm run example:three-clients -- --duration 20s --out out/demo
 */
import { Command, Option } from 'commander';
import { configureLogging, type LogLevel } from '../src';
import { parseDuration, parseLogLevel, parsePort } from '../src/cli/options';
import { reportProgress } from '../src/cli/sessionProgress';
import { onShutdownSignal } from '../src/cli/signals';
import { clientSummaryTable } from '../src/cli/summaryTable';
import { runAssignment } from './assignment';

interface Options {
  duration: number;
  interval: number;
  out: string;
  port: number;
  stagger?: number;
  logLevel: LogLevel;
  quiet?: boolean;
  json?: boolean;
}

const program = new Command('example:three-clients')
  .description('Run the assignment: one server and three staggered clients on loopback')
  .addOption(
    new Option('--duration <time>', 'each client session')
      .argParser(parseDuration)
      .default(300_000, '5m'),
  )
  .addOption(
    new Option('--interval <time>', 'tick interval').argParser(parseDuration).default(10, '10ms'),
  )
  .option('--out <dir>', 'run folder (server/, client_N/)', 'out/three-clients')
  .option('--port <port>', 'server port on 127.0.0.1 (0: any free port)', parsePort, 5555)
  .option(
    '--stagger <time>',
    'delay between client starts (default: 2s, or duration/4 if shorter)',
    parseDuration,
  )
  .addOption(
    new Option('--log-level <level>', 'log level').argParser(parseLogLevel).default('info'),
  )
  .option('--quiet', 'no progress lines')
  .option('--json', 'print the summaries as one JSON document on stdout')
  .showHelpAfterError('(run with --help for usage)');

async function main(): Promise<void> {
  const options = program.parse(process.argv).opts<Options>();
  configureLogging(options.logLevel);
  const abort = new AbortController();
  onShutdownSignal(() => abort.abort());
  const started: Parameters<typeof reportProgress>[0] extends () => infer A ? A : never = [];
  const stopProgress = options.quiet
    ? () => undefined
    : reportProgress(
        () => started,
        (line) => process.stderr.write(`${line}\n`),
      );

  process.stderr.write(`Run folder: ${options.out}\n`);
  const result = await runAssignment({
    durationMs: options.duration,
    intervalMs: options.interval,
    outDir: options.out,
    port: options.port,
    clients: 3,
    staggerMs: options.stagger ?? Math.min(2000, options.duration / 4),
    spinMs: 1,
    signal: abort.signal,
    onClientStarted: (session) => started.push(session.actor),
  });
  stopProgress();

  // Part III (peer-to-peer exchange of the client files) runs here once it exists.

  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ server: result.server, clients: result.clients }, null, 2)}\n`,
    );
  } else {
    process.stderr.write(`\n${clientSummaryTable(result.clients)}\n`);
    process.stderr.write(`Server: ${result.server.rows} rows in ${result.server.file}\n`);
    for (const summary of result.clients) {
      if (summary.files)
        process.stderr.write(`Client ${summary.clientId}: ${summary.files.table}\n`);
    }
  }
  const ok =
    result.server.outcome === 'stopped' && result.clients.every((c) => c.outcome === 'done');
  process.exitCode = ok ? 0 : 1;
}

main().catch((error: Error & { code?: string }) => {
  process.stderr.write(`example failed: ${error.message}${error.code ? ` (${error.code})` : ''}\n`);
  process.exitCode = 1;
});
