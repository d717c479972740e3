import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { until } from './until';

const BIN = join(__dirname, '..', '..', 'bin', 'timeswarm.cjs');
const running: ChildProcessWithoutNullStreams[] = [];

/**
 * Runs `timeswarm ARGS…` as a real process. `waitFor` polls its stderr or stdout (bounded); `killAll`
 * (call it in afterEach) SIGKILLs whatever a failed test left running.
 */
export function timeswarm(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string) {
  const child = spawn(process.execPath, [BIN, '--log-level', 'info', ...args], {
    env: { ...process.env, ...env },
    ...(cwd !== undefined ? { cwd } : {}),
  });
  running.push(child);
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const ended = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const exited = ended.then(({ code }) => code);
  /** Polls stderr (the log and progress), or stdout (summaries), for `pattern`. */
  const waitFor = async (
    pattern: RegExp,
    limitMs = 30_000,
    from: 'stderr' | 'stdout' = 'stderr',
  ) => {
    const text = () => (from === 'stderr' ? stderr : stdout);
    await until(
      () => {
        if (pattern.test(text())) return true;
        if (child.exitCode !== null)
          throw new Error(`exited without ${pattern} in ${from}:\n${text()}`);
        return false;
      },
      { limitMs, everyMs: 20, what: () => `${pattern} in ${from}:\n${text()}` },
    );
    return pattern.exec(text())!;
  };
  return { child, exited, ended, waitFor, output: () => ({ stderr, stdout }) };
}

/** Starts `timeswarm server` on 127.0.0.1 and resolves once it listens, with its port. */
export async function timeswarmServer(args: string[], env: NodeJS.ProcessEnv = {}) {
  const server = timeswarm(['server', '--host', '127.0.0.1', ...args], env);
  const [, port] = await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
  return { ...server, port: Number(port) };
}

export function killAll(): void {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
}
