/**
 * The whole assignment on loopback: a server on port 5555, client 1, then clients 2 and 3
 * while client 1 is exchanging, each for 5 minutes; then a summary per client.
 *
 *   npm run example:three-clients
 *   npm run example:three-clients -- --duration 20s --out out/demo
 *
 * Ends by writing report.html (statistics and plots, see `timeswarm analyze`) into the run folder.
 */
import { join } from 'node:path';
import { Command, Option } from 'commander';
import {
  type AssignmentResult,
  analyzeRun,
  clientFiles,
  clientSummaryTable,
  collectRunMetadata,
  configureLogging,
  exchangeClientFiles,
  type InspectFlags,
  inspectHostOption,
  inspectOption,
  type LogLevel,
  onShutdownSignal,
  parseDuration,
  parseLogLevel,
  parsePort,
  readTransferTimeline,
  runAssignment,
  showSessionProgress,
  startCliInspection,
  terminalWidth,
  verificationTable,
  writeReport,
  writeRunMetadata,
} from '../src';

interface Options {
  duration: number;
  interval: number;
  out: string;
  port: number;
  stagger?: number;
  logLevel: LogLevel;
  quiet?: boolean;
  json?: boolean;
  inspect?: InspectFlags['inspect'];
  inspectHost?: string;
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
  .option('--quiet', 'no live progress bars: a plain progress line every 5 s')
  .addOption(inspectOption())
  .addOption(inspectHostOption())
  .option('--json', 'print the summaries as one JSON document on stdout')
  .showHelpAfterError('(run with --help for usage)');

/** Stops the inspector on every way out, or it would keep the process alive. */
let stopInspection = async (): Promise<void> => undefined;

async function main(): Promise<void> {
  const options = program.parse(process.argv).opts<Options>();
  // Host, versions, command and load at start; the end is added when the report is written.
  const runStart = collectRunMetadata({
    command: ['npm run example:three-clients --', ...process.argv.slice(2)].join(' '),
  });
  configureLogging(options.logLevel);
  const abort = new AbortController();
  onShutdownSignal(() => abort.abort());
  const inspection = await startCliInspection(
    options,
    (text) => process.stderr.write(text),
    'timeswarm three clients',
  );
  stopInspection = inspection.stop;
  const started: ReturnType<Parameters<typeof showSessionProgress>[0]> = [];
  const stopProgress = showSessionProgress(() => started, { quiet: options.quiet });

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
    start: { inspect: inspection.inspect },
    onClientStarted: (session) => started.push(session.actor),
  }).finally(stopProgress);

  const exchanged = await exchangeAndVerify(result, options.out);

  // The report reads the run folder; a P2P exchange that leaves DIR/transfers.json (a
  // TransferTimeline, src/report/transfers.ts) adds its transfer timeline.
  const meta = collectRunMetadata({ ...runStart, ended: true });
  await writeRunMetadata(options.out, meta);
  const data = await analyzeRun([options.out]);
  const transfers = data.files.transfers ? await readTransferTimeline(data.files.transfers) : null;
  const reportPath = await writeReport(join(options.out, 'report.html'), {
    ...data,
    transfers,
    meta,
    title: 'timeswarm: three clients on loopback',
  });
  await stopInspection();

  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ server: result.server, clients: result.clients }, null, 2)}\n`,
    );
  } else {
    process.stderr.write(
      `\n${clientSummaryTable(result.clients, terminalWidth(process.stderr))}\n`,
    );
    process.stderr.write(`Server: ${result.server.rows} rows in ${result.server.file}\n`);
    for (const summary of result.clients) {
      if (summary.files)
        process.stderr.write(`Client ${summary.clientId}: ${summary.files.table}\n`);
    }
  }
  process.stderr.write(`Report: ${reportPath} (open it in a browser)\n`);
  const ok =
    result.server.outcome === 'stopped' &&
    result.clients.every((c) => c.outcome === 'done') &&
    exchanged;
  process.exitCode = ok ? 0 : 1;
}

/** Part III: the clients' folders exchange their files peer to peer, then each is verified. */
async function exchangeAndVerify(run: AssignmentResult, runDir: string): Promise<boolean> {
  const write = (text: string) => process.stderr.write(text);
  const files = clientFiles(run).length;
  if (files >= 2) write(`\nPeer-to-peer exchange of ${files} client files (no server)…\n`);
  const exchange = await exchangeClientFiles(run, runDir);
  const { result } = exchange;
  if (!result) {
    write('\nPeer-to-peer exchange skipped: fewer than two client files.\n');
    return exchange.ok;
  }
  write(`${verificationTable(result, exchange.labels, terminalWidth(process.stderr))}\n`);
  write(
    result.ok
      ? `Every folder holds all ${files} files, SHA-256 equal to the originals (${result.seconds.toFixed(2)} s).\n`
      : 'Exchange incomplete: see the table above.\n',
  );
  for (const s of result.summaries)
    for (const m of s.missing) write(`missing in ${s.dir}: ${m.name}: ${m.reason}\n`);
  return exchange.ok;
}

main().catch(async (error: Error & { code?: string }) => {
  process.stderr.write(`example failed: ${error.message}${error.code ? ` (${error.code})` : ''}\n`);
  process.exitCode = 1;
  await stopInspection();
});
