import { InvalidArgumentError, Option } from 'commander';

/** Default relay port: the one `@statelyai/inspect` documents. */
export const DEFAULT_INSPECT_PORT = 8080;

/**
 * `--inspect [port]` for every command that runs actors. Kept apart from the inspector so
 * that declaring the option (e.g. for `--help`) loads nothing but commander.
 */
export function inspectOption(): Option {
  return new Option(
    '--inspect [port]',
    `stream every state machine to the Stately inspector (local relay on PORT, default ${DEFAULT_INSPECT_PORT})`,
  ).argParser((value: string) => {
    const port = Number(value);
    if (!/^\d+$/.test(value) || port < 1 || port > 65_535)
      throw new InvalidArgumentError('Expected a port number 1-65535.');
    return port;
  });
}
