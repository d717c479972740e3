import type { InspectionEvent, Observer } from 'xstate';
import type { Logger } from '../log/logger';
import { inspectorInstructions, startInspector } from './inspector';
import { DEFAULT_INSPECT_PORT, type InspectFlags } from './option';

export {
  type InspectChoice,
  type InspectFlags,
  inspectHostOption,
  inspectOption,
  parseInspect,
} from './option';

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
  flags: InspectFlags,
  write: (text: string) => void,
  title = 'timeswarm',
  logger?: Logger,
): Promise<CliInspection> {
  if (flags.inspect === undefined || flags.inspect === false)
    return { inspect: undefined, stop: async () => undefined };
  const choice =
    flags.inspect === true ? { mode: 'local' as const, port: DEFAULT_INSPECT_PORT } : flags.inspect;
  const handle = await startInspector({
    ...choice,
    ...(flags.inspectHost !== undefined ? { host: flags.inspectHost } : {}),
    secrets: flags.secret !== undefined ? [flags.secret] : [],
    title,
    ...(logger ? { logger } : {}),
  });
  write(`${inspectorInstructions(handle)}\n`);
  return { inspect: handle.inspect, stop: () => handle.stop() };
}
