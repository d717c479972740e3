import {
  clientSummaryTable,
  getLogger,
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
  onShutdownSignal((signal) =>
    session.actor.send({ type: 'session.stop', reason: `stopped by ${signal}` }),
  );
  const summary = await session.done.finally(() => {
    stopProgress();
    return inspection.stop();
  });
  if (options.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else process.stderr.write(`${clientSummaryTable([summary])}\n`);
  process.exitCode = summary.outcome === 'done' ? 0 : 1;
  if (options.peers && summary.outcome === 'done' && summary.files) {
    const share = options as unknown as Parameters<typeof shareInput>[0];
    process.exitCode = await runShare(
      shareInput({ ...share, dir: options.out, file: [summary.files.table] }),
      { quiet: options.quiet },
    );
  }
}
