import {
  getLogger,
  jsonText,
  onShutdownSignal,
  showServerProgress,
  skewedClock,
  startCliInspection,
  startServer,
  systemClock,
  tcpTransport,
  terminalWidth,
  wrapText,
} from '../../index';
import type { ServerOptions } from './server';

/** `timeswarm server`'s work; loaded only when the command runs (see `server.ts`). */
export async function runServer(options: ServerOptions): Promise<void> {
  const logger = getLogger('server');
  const inspection = await startCliInspection(
    options,
    (text) => process.stderr.write(text),
    'timeswarm server',
  );
  const server = await startServer(
    {
      transport: tcpTransport,
      host: options.host,
      port: options.port,
      outDir: options.out,
      handshakeTimeoutMs: options.handshakeTimeout,
      maxClients: options.maxClients,
      maxPending: options.maxPending,
      maxPendingPerAddress: options.maxPendingPerIp,
      maxReplyDelayMs: options.maxReplyDelay,
      limits: {
        minIntervalMs: options.minInterval,
        maxIntervalMs: options.maxInterval,
        tickBurst: options.tickBurst,
        idleTimeoutMs: options.idleTimeout,
      },
      ...(options.secret ? { secret: options.secret } : {}),
      logger,
      ...(options.skew ? { clock: skewedClock(systemClock, options.skew) } : {}),
    },
    { inspect: inspection.inspect },
  ).catch(async (error: unknown) => {
    await inspection.stop();
    throw error;
  });
  process.stderr.write(
    `timeswarm server listening on ${server.address.host}:${server.address.port}\n`,
  );
  if (options.skew) {
    process.stderr.write(
      `server clock skewed by ${options.skew > 0 ? '+' : ''}${options.skew} ms (server ahead when positive)\n`,
    );
  }
  const stopProgress = showServerProgress(server.actor, { quiet: options.quiet });
  onShutdownSignal((signal) =>
    server.actor.send({ type: 'server.stop', reason: `server stopped (${signal})` }),
  );
  const summary = await server.done.finally(() => {
    stopProgress();
    return inspection.stop();
  });
  if (options.json) process.stdout.write(`${jsonText(summary, 2)}\n`);
  else {
    const served = `served ${summary.servedCount} client(s), ${summary.rows} rows in ${summary.file}`;
    process.stdout.write(`${wrapText(served, terminalWidth(), '  ')}\n`);
  }
  process.exitCode = summary.outcome === 'stopped' ? 0 : 1;
}
