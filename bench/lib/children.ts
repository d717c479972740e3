import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Options for {@link forkTs}. */
export interface ForkTsOptions {
  /** Extra node flags (e.g. `--cpu-prof`, `--expose-gc`). */
  nodeFlags?: string[];
  /** Print the child's stderr (default: yes). */
  quiet?: boolean;
}

/** Forks a TypeScript file through tsx, with an IPC channel. */
export function forkTs(file: string, args: string[], options: ForkTsOptions = {}): ChildProcess {
  return fork(file, args, {
    execArgv: ['--import', 'tsx', ...(options.nodeFlags ?? [])],
    stdio: ['ignore', 'inherit', options.quiet ? 'ignore' : 'inherit', 'ipc'],
  });
}

/**
 * Resolves with the first IPC message from `child` that satisfies `match`; rejects if the
 * child exits first or nothing comes within `timeoutMs`.
 */
export function nextMessage<T>(
  child: ChildProcess,
  match: (message: unknown) => message is T,
  timeoutMs: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (message: unknown) => {
      if (!match(message)) return;
      cleanup();
      resolve(message);
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(
        new Error(`child ${child.pid} exited (code ${code}, signal ${signal}) before answering`),
      );
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`child ${child.pid} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** A type guard for IPC messages `{ type: name, … }`. */
export function ofType<T extends { type: string }>(name: T['type']) {
  return (message: unknown): message is T =>
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === name;
}

/** Sends a request and waits for the answer of the given type. */
export async function ask<T extends { type: string }>(
  child: ChildProcess,
  request: Record<string, unknown>,
  answer: T['type'],
  timeoutMs = 30_000,
): Promise<T> {
  const reply = nextMessage(child, ofType<T>(answer), timeoutMs);
  child.send(request);
  return reply;
}

/** Resolves when the child has exited; kills it (by its pid) if it takes longer than `graceMs`. */
export function waitExit(child: ChildProcess, graceMs = 10_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far, from /proc; NaN when unreadable. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the command name: state is field 3, utime 14, stime 15 (1-based) → index 11, 12.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** Resident set size of a process in MiB, from /proc; NaN when unreadable. */
export function processRssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Busy and total CPU time of the whole machine (all cores), in clock ticks, from /proc/stat. */
export function machineCpuTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  const total = values.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
