export interface ShutdownOptions {
  /**
   * After the first signal, the process ends within this long whatever happens: if the
   * actors have not finished by then (a file that will not close, a socket that will not
   * drain), it says so in one line and exits with {@link EXIT_NOT_FINISHED}. The timer does
   * not keep the process alive. Omit it to wait for the actors however long they take.
   */
  graceMs?: number;
  /** Where signals come from and how the process ends; tests pass their own. */
  target?: Pick<NodeJS.Process, 'on' | 'off'>;
  exit?: (code: number) => void;
  write?: (text: string) => void;
}

/** Exit code when a second signal, or the grace period, cuts the shutdown short. */
export const EXIT_NOT_FINISHED = 130;

/**
 * Calls `stop` on the first SIGINT or SIGTERM so actors can finish their files; a second
 * signal exits at once (the user insists), and so does the end of the grace period.
 * Returns a function that removes the handlers (and cancels a pending grace timer).
 */
export function onShutdownSignal(
  stop: (signal: NodeJS.Signals) => void,
  options: ShutdownOptions = {},
): () => void {
  const target = options.target ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const write = options.write ?? ((text: string) => process.stderr.write(text));
  let stopping = false;
  let grace: NodeJS.Timeout | null = null;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      write(`\n${signal} again: exiting without finishing\n`);
      exit(EXIT_NOT_FINISHED);
      return;
    }
    stopping = true;
    write(`\n${signal}: finishing files (again to force)…\n`);
    if (options.graceMs !== undefined) {
      grace = setTimeout(() => {
        write(`not finished ${options.graceMs} ms after ${signal}: exiting without finishing\n`);
        exit(EXIT_NOT_FINISHED);
      }, options.graceMs);
      grace.unref();
    }
    stop(signal);
  };
  target.on('SIGINT', handler);
  target.on('SIGTERM', handler);
  return () => {
    if (grace) clearTimeout(grace);
    target.off('SIGINT', handler);
    target.off('SIGTERM', handler);
  };
}
