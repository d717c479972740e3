import { InvalidArgumentError, Option } from 'commander';

/** Default port of the inspector page (the one `@statelyai/inspect` documents). */
export const DEFAULT_INSPECT_PORT = 8080;

/** The inspector page binds loopback unless the person asks for more. */
export const DEFAULT_INSPECT_HOST = '127.0.0.1';

/** The inspector's two modes: the offline live view, or a bridge to Stately's hosted one. */
export type InspectorMode = 'local' | 'stately';

// Kept apart from the inspector so that declaring the options (e.g. for `--help`) loads
// nothing but commander.

/** What `--inspect [where]` parses to. */
export interface InspectChoice {
  mode: InspectorMode;
  port: number;
}

/** `8080`, `0`, `stately`, `stately:8081`, `local:9000` → mode and port. */
export function parseInspect(value: string): InspectChoice {
  const match = /^(?:(local|stately)(?::(\d+))?|(\d+))$/.exec(value);
  const port = Number(match?.[2] ?? match?.[3] ?? DEFAULT_INSPECT_PORT);
  if (!match || port > 65_535)
    throw new InvalidArgumentError('Expected a port (0-65535), "stately" or "stately:PORT".');
  return { mode: match[1] === 'stately' ? 'stately' : 'local', port };
}

/**
 * `--inspect [where]` for every command that runs actors: the offline live view on
 * 127.0.0.1:8080 by default, another port (0: any free one), or `stately[:PORT]` for
 * Stately's hosted inspector (online).
 */
export function inspectOption(): Option {
  return new Option(
    '--inspect [where]',
    `watch every state machine live in a browser: an offline page on PORT (default ${DEFAULT_INSPECT_PORT}, 0: any free port), or "stately[:PORT]" for Stately's hosted inspector (needs internet)`,
  ).argParser(parseInspect);
}

/** `--inspect-host <ip>`: a wider bind than loopback is an explicit choice. */
export function inspectHostOption(): Option {
  return new Option(
    '--inspect-host <ip>',
    `address the inspector page binds (default ${DEFAULT_INSPECT_HOST}; anything else lets other machines watch, with a warning)`,
  );
}

/** The options of a command that `startCliInspection` reads. */
export interface InspectFlags {
  inspect?: boolean | InspectChoice;
  inspectHost?: string;
  /** The command's `--secret`, redacted from everything the inspector sends. */
  secret?: string;
}
