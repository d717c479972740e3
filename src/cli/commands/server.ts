import { type Command, Option } from 'commander';
import { getLogger } from '../../log/logger';
import { startServer } from '../../runtime/start';
import { tcpTransport } from '../../transport';
import { parseDuration, parsePort, parsePositiveInt } from '../options';
import { onShutdownSignal } from '../signals';

interface ServerOptions {
  host: string;
  port: number;
  out: string;
  handshakeTimeout: number;
  maxClients: number;
  json?: boolean;
}

export function registerServerCommand(program: Command): void {
  program
    .command('server')
    .description(
      'Run the timestamp server: answer every client tick with the server time, log all of it',
    )
    .option('--host <ip>', 'address to listen on', '0.0.0.0')
    .option('--port <port>', 'TCP port (0 picks a free one)', parsePort, 5555)
    .option('--out <dir>', 'folder for serverTimeData.txt', '.')
    .addOption(
      new Option('--handshake-timeout <time>', 'cut off a client that sends no hello within this')
        .argParser(parseDuration)
        .default(5000, '5s'),
    )
    .option('--max-clients <n>', 'most clients at once; more are refused', parsePositiveInt, 10_000)
    .option('--json', 'print the final summary as one JSON document on stdout')
    .addHelpText(
      'after',
      '\nRuns until SIGINT (Ctrl-C) or SIGTERM, then finishes the file and exits 0.',
    )
    .action(async (options: ServerOptions) => {
      const logger = getLogger('server');
      const server = await startServer({
        transport: tcpTransport,
        host: options.host,
        port: options.port,
        outDir: options.out,
        handshakeTimeoutMs: options.handshakeTimeout,
        maxClients: options.maxClients,
        logger,
      });
      process.stderr.write(
        `timeswarm server listening on ${server.address.host}:${server.address.port}\n`,
      );
      onShutdownSignal((signal) =>
        server.actor.send({ type: 'server.stop', reason: `server stopped (${signal})` }),
      );
      const summary = await server.done;
      if (options.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else {
        process.stderr.write(
          `served ${summary.clients.length} client(s), ${summary.rows} rows in ${summary.file}\n`,
        );
      }
      process.exitCode = summary.outcome === 'stopped' ? 0 : 1;
    });
}
