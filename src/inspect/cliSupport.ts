import type { InspectionEvent, Observer } from 'xstate';
import type { Logger } from '../log/logger';
import { DEFAULT_INSPECT_PORT, inspectorInstructions, startInspector } from './inspector';

export { inspectOption } from './option';

export interface CliInspection {
  /** For `StartOptions.inspect`; undefined when not inspecting. */
  inspect: Observer<InspectionEvent> | undefined;
  /** Stops the inspector (if any) so the process can exit. */
  stop(): Promise<void>;
}

/**
 * Starts the inspector when `--inspect` was given, tells the person how to open it (on
 * `write`, i.e. stderr), and returns what the command needs. Without `--inspect` nothing
 * is loaded and nothing is opened.
 */
export async function startCliInspection(
  flag: boolean | number | undefined,
  write: (text: string) => void,
  logger?: Logger,
): Promise<CliInspection> {
  if (flag === undefined || flag === false)
    return { inspect: undefined, stop: async () => undefined };
  const handle = await startInspector({
    port: flag === true ? DEFAULT_INSPECT_PORT : flag,
    ...(logger ? { logger } : {}),
  });
  write(`${inspectorInstructions(handle)}\n`);
  return {
    inspect: handle.inspect,
    async stop() {
      await handle.stop();
      // Insurance: a browser tab or a reconnect timer of the inspector library must not
      // keep a finished command running. (Unref'd: it never delays a normal exit.)
      setTimeout(() => process.exit(), 1500).unref();
    },
  };
}
