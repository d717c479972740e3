import {
  clientSummaryTable,
  getLogger,
  jsonText,
  onShutdownSignal,
  showSessionProgress,
  startClient,
  startCliInspection,
  tcpTransport,
} from '../../index';
import type { ClientOptions } from './client';
import { runShare, shareInput } from './runShare';

/** `timeswarm client`'s work; loaded only when the command runs (see `client.ts`). */
export async function runClient(options: ClientOptions): Promise<void> {
  const logger = getLogger('client');
  const inspection = await startCliInspection(
    options,
    (text) => process.stderr.write(text),
    'timeswarm client',
  );
  const session = startClient(
    {
      transport: tcpTransport,
      server: options.server,
      outDir: options.out,
      intervalMs: options.interval,
      durationMs: options.duration,
      spinMs: options.spin,
      drainTimeoutMs: CLIENT_DRAIN_MS,
      retry: { attempts: options.retries },
      reconnect: { attempts: options.reconnect },
      ...(options.secret ? { secret: options.secret } : {}),
      logger,
      ...(options.id !== undefined ? { requestedId: options.id } : {}),
      ...(options.bind !== undefined ? { localAddress: options.bind } : {}),
    },
    { inspect: inspection.inspect },
  );
  const stopProgress = showSessionProgress(() => [session.actor], { quiet: options.quiet });
  let stoppedBySignal = false;
  const stopSignals = onShutdownSignal(
    (signal) => {
      stoppedBySignal = true;
      session.actor.send({ type: 'session.stop', reason: `stopped by ${signal}` });
    },
    { graceMs: CLIENT_SHUTDOWN_MS },
  );
  const summary = await session.done.finally(() => {
    stopProgress();
    return inspection.stop();
  });
  if (options.json) process.stdout.write(`${jsonText(summary, 2)}\n`);
  else process.stdout.write(`${clientSummaryTable([summary])}\n`);
  process.exitCode = summary.outcome === 'done' ? 0 : 1;
  // Stopped by a signal: the person wants the process to end, not to start sharing.
  if (stoppedBySignal) return;
  stopSignals();
  if (options.peers && summary.outcome === 'done' && summary.files) {
    const share = options as unknown as Parameters<typeof shareInput>[0];
    process.exitCode = await runShare(
      shareInput({ ...share, dir: options.out, file: [summary.files.table] }),
      { quiet: options.quiet },
    );
  }
}

/** How long a client waits for replies in flight once its last tick is sent (or it is stopped). */
export const CLIENT_DRAIN_MS = 2000;
/**
 * One SIGINT or SIGTERM ends a client within this bound: the drain, then closing its two files
 * (flush, footer, fsync). Past it the process exits anyway (code 130), files unfinished.
 */
export const CLIENT_SHUTDOWN_MS = CLIENT_DRAIN_MS + 3000;
