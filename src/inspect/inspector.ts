import type { InspectionEvent, Observer } from 'xstate';
import { getLogger, type Logger } from '../log/logger';
import { startLiveView } from './liveView';
import { DEFAULT_INSPECT_PORT, type InspectorMode } from './option';
import { DEFAULT_INSPECT_HOST, isLoopback } from './pageServer';
import { createRedactor } from './redact';
import { startStatelyView } from './statelyView';

export { DEFAULT_INSPECT_PORT, type InspectorMode };

export interface InspectorOptions {
  /**
   * `local` (default): the offline live view, served by this process. `stately`: a bridge
   * to Stately's hosted inspector, which needs internet access.
   */
  mode?: InspectorMode;
  /** Port of the page (0: any free port; read the one chosen from the handle). */
  port?: number;
  /** Address to bind: 127.0.0.1 unless the person asks otherwise (a warning is logged). */
  host?: string;
  /** Values never to send (e.g. the `--secret`), wherever they appear. */
  secrets?: readonly string[];
  /** Shown in the page's title (e.g. `timeswarm client`). */
  title?: string;
  logger?: Logger;
}

export interface InspectorHandle {
  /** Give this to `createActor(…, { inspect })` (e.g. through `StartOptions.inspect`). */
  inspect: Observer<InspectionEvent>;
  mode: InspectorMode;
  /** Where it listens. */
  address: { host: string; port: number };
  /** The page a person opens. */
  pageUrl: string;
  /** The WebSocket feed the page reads. */
  wsUrl: string;
  /** Whether the bind reaches beyond this machine (the person asked for it). */
  exposed: boolean;
  /** Sends what is pending, closes the pages' connections and the server. Safe to call twice. */
  stop(): Promise<void>;
}

const urlHost = (host: string) => (host.includes(':') ? `[${host}]` : host);

/**
 * Starts inspecting: every actor given {@link InspectorHandle.inspect} is shown on a page
 * this process serves. By default that page is the offline live view (statecharts laid out
 * by ELK, bundled; active states, actor tree, event stream), bound to 127.0.0.1; secrets are
 * redacted from everything sent. If the port is taken (another process inspecting), a free
 * one is used instead and logged.
 */
export async function startInspector(options: InspectorOptions = {}): Promise<InspectorHandle> {
  const mode = options.mode ?? 'local';
  const host = options.host ?? DEFAULT_INSPECT_HOST;
  const logger = options.logger ?? getLogger('inspect');
  const redactor = createRedactor({ secrets: options.secrets ?? [] });
  const start = (port: number) =>
    mode === 'stately'
      ? startStatelyView({ host, port, redactor })
      : startLiveView({ host, port, redactor, title: options.title ?? 'timeswarm' });
  const wanted = options.port ?? DEFAULT_INSPECT_PORT;
  let view: Awaited<ReturnType<typeof start>>;
  try {
    view = await start(wanted);
  } catch (error) {
    if ((error as { code?: string }).code !== 'EADDRINUSE' || wanted === 0) throw error;
    logger.warn(`inspector: port ${wanted} is in use; using a free port instead`, {
      code: 'INSPECT_PORT_IN_USE',
    });
    view = await start(0);
  }
  const exposed = !isLoopback(host);
  if (exposed)
    logger.warn(
      `inspector bound to ${host}: anyone who can reach this address can watch every machine (secrets are redacted)`,
      { code: 'INSPECT_EXPOSED' },
    );
  const { port } = view.server.address;
  const base = `${urlHost(host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host)}:${port}`;
  let failed = false;
  let stopped = false;
  return {
    mode,
    address: view.server.address,
    pageUrl: `http://${base}/`,
    wsUrl: `ws://${base}/feed`,
    exposed,
    inspect: {
      next(event) {
        if (stopped || failed) return;
        try {
          view.observe(event);
        } catch (error) {
          // Inspection must never break the actors it watches.
          failed = true;
          logger.error(`inspector stopped observing: ${(error as Error).message}`);
        }
      },
      error: () => undefined,
      complete: () => undefined,
    },
    stop() {
      stopped = true;
      return view.stop();
    },
  };
}

/** What a person is told once the inspector runs. */
export function inspectorInstructions(handle: InspectorHandle): string {
  const where =
    handle.mode === 'stately'
      ? `Inspector: open ${handle.pageUrl} to watch every state machine in Stately's hosted inspector\n` +
        '  (it needs internet access; secrets are redacted before anything is sent).'
      : `Inspector: open ${handle.pageUrl} to watch every state machine live (works offline;\n` +
        '  secrets are redacted).';
  const warning = handle.exposed
    ? `\n  Warning: bound to ${handle.address.host}, so other machines can open it too.`
    : '';
  return where + warning;
}
