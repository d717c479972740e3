/**
 * Calls `stop` on the first SIGINT or SIGTERM so actors can finish their files; a second
 * signal exits at once (the user insists).
 */
export function onShutdownSignal(stop: (signal: NodeJS.Signals) => void): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`\n${signal} again: exiting without finishing\n`);
      process.exit(130);
    }
    stopping = true;
    process.stderr.write(`\n${signal}: finishing files (again to force)…\n`);
    stop(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
