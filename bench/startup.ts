/**
 * Start-up: what running `timeswarm` costs before it does anything, next to `node -e 0`
 * measured in the same run (interleaved, so load on the shared machine hits both alike).
 *
 *   npm run bench -- startup [--runs 15] [--session-runs 5] [--bin path/to/bin/timeswarm.cjs]
 *
 * Commands, whole process (spawn → exit), in this order in every round:
 *   node -e 0                      the baseline: Node itself
 *   timeswarm --version
 *   timeswarm --help
 *   timeswarm client … --duration 1s   a 1 s session against a `timeswarm server` started once
 *                                      (not measured); its "overhead" is wall time − 1 s
 *
 * Wall time is the headline (median of the runs, and its ratio to the baseline's median).
 * With `perf` installed, every command also runs under `perf stat -e task-clock` in separate
 * rounds for its CPU time, which the load on a shared machine disturbs much less than wall
 * time. `--bin` measures another checkout's CLI (e.g. one that runs through tsx) the same way.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { buildIfStale } from '../scripts/buildIfStale';
import { benchArgs, positiveInt } from './lib/args';
import { fmt, median, printTable, ratio, writeResults } from './lib/report';

const args = benchArgs(['runs', 'session-runs', 'bin'] as const);
const RUNS = positiveInt(args.runs ?? '15');
const SESSION_RUNS = positiveInt(args['session-runs'] ?? '5');
const BIN = resolve(args.bin ?? join(__dirname, '..', 'bin', 'timeswarm.cjs'));
const SESSION_MS = 1000;

interface Command {
  name: string;
  /** A fresh argv for each run (each session writes into its own folder). */
  argv: () => string[];
  runs: number;
  /** How long the command is meant to run: subtracted for its start-up overhead. */
  busyMs: number;
}

/** Runs `argv` to completion; wall time in ms (spawn → exit). Fails on a non-zero exit. */
function wallMs(argv: string[]): Promise<number> {
  return new Promise((done, fail) => {
    const start = process.hrtime.bigint();
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code === 0) done(ms);
      else fail(new Error(`${argv.join(' ')} exited ${code}:\n${stderr}`));
    });
  });
}

/** CPU time (task-clock, ms) of `argv` and its children, from `perf stat`. */
function cpuMs(argv: string[]): number {
  const result = spawnSync('perf', ['stat', '-x', ',', '-e', 'task-clock', '--', ...argv], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`perf stat ${argv.join(' ')}:\n${result.stderr}`);
  const line = result.stderr.split('\n').find((l) => l.includes('task-clock'));
  const value = Number(line?.split(',')[0]);
  if (!Number.isFinite(value)) throw new Error(`no task-clock in:\n${result.stderr}`);
  return value;
}

function perfWorks(): boolean {
  const result = spawnSync('perf', ['stat', '-x', ',', '-e', 'task-clock', '--', 'true'], {
    encoding: 'utf8',
  });
  return result.status === 0 && result.stderr.includes('task-clock');
}

/** `timeswarm server` on 127.0.0.1, a free port; resolves once it listens. */
async function startServer(outDir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [BIN, '--log-level', 'warn', 'server', '--host', '127.0.0.1', '--port', '0', '--out', outDir],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const match = /listening on 127\.0\.0\.1:(\d+)/.exec(stderr);
    if (match) return { child, port: Number(match[1]) };
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`server did not start:\n${stderr}`);
    await new Promise((done) => setTimeout(done, 20));
  }
}

async function main(): Promise<void> {
  if (args.bin === undefined) console.log(`dist/: ${buildIfStale()}`);
  const out = mkdtempSync(join(os.tmpdir(), 'timeswarm-bench-startup-'));
  const server = await startServer(join(out, 'server'));
  let session = 0;
  const commands: Command[] = [
    {
      name: 'node -e 0 (baseline)',
      argv: () => [process.execPath, '-e', '0'],
      runs: RUNS,
      busyMs: 0,
    },
    {
      name: 'timeswarm --version',
      argv: () => [process.execPath, BIN, '--version'],
      runs: RUNS,
      busyMs: 0,
    },
    {
      name: 'timeswarm --help',
      argv: () => [process.execPath, BIN, '--help'],
      runs: RUNS,
      busyMs: 0,
    },
    {
      name: 'timeswarm client, 1 s session',
      argv: () => {
        session += 1;
        return [
          process.execPath,
          BIN,
          '--log-level',
          'warn',
          'client',
          '--server',
          `127.0.0.1:${server.port}`,
          '--duration',
          `${SESSION_MS}ms`,
          '--quiet',
          '--out',
          join(out, `client_${session}`),
        ];
      },
      runs: SESSION_RUNS,
      busyMs: SESSION_MS,
    },
  ];
  const withCpu = perfWorks();
  const wall = new Map<string, number[]>(commands.map((c) => [c.name, []]));
  const cpu = new Map<string, number[]>(commands.map((c) => [c.name, []]));
  try {
    // One warm-up of each (file cache), then interleaved rounds.
    for (const command of commands) await wallMs(command.argv());
    for (let round = 0; round < RUNS; round++) {
      for (const command of commands) {
        if (round >= command.runs) continue;
        wall.get(command.name)!.push(await wallMs(command.argv()));
        if (withCpu) cpu.get(command.name)!.push(cpuMs(command.argv()));
      }
      process.stdout.write(`round ${round + 1}/${RUNS}, load ${os.loadavg()[0]!.toFixed(2)}\r`);
    }
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((done) => server.child.once('exit', done));
    rmSync(out, { recursive: true, force: true });
  }

  const base = commands[0]!.name;
  const baseWall = median(wall.get(base)!);
  const baseCpu = median(cpu.get(base)!);
  const rows = commands.map((command) => {
    const w = median(wall.get(command.name)!);
    const c = median(cpu.get(command.name)!);
    return {
      name: command.name,
      runs: command.runs,
      wallMs: w,
      wallRatio: ratio(w, baseWall),
      overheadMs: w - command.busyMs,
      overheadRatio: ratio(w - command.busyMs, baseWall),
      cpuMs: c,
      cpuRatio: ratio(c, baseCpu),
    };
  });
  printTable(
    `Start-up, whole process, medians (${BIN.replace(`${process.cwd()}/`, '')}; load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
    [
      'command',
      'runs',
      'wall ms',
      'wall / node -e 0',
      'wall − session, ms',
      '(wall − session) / node -e 0',
      'CPU ms',
      'CPU / node -e 0',
    ],
    rows.map((r) => [
      r.name,
      r.runs,
      fmt(r.wallMs),
      fmt(r.wallRatio, 2),
      fmt(r.overheadMs),
      fmt(r.overheadRatio, 2),
      fmt(r.cpuMs),
      fmt(r.cpuRatio, 2),
    ]),
  );
  writeResults('startup', {
    bin: BIN,
    perf: withCpu,
    rows,
    raw: Object.fromEntries(
      commands.map((c) => [c.name, { wallMs: wall.get(c.name), cpuMs: cpu.get(c.name) }]),
    ),
  });
}

main().catch((error: Error) => {
  console.error(error);
  process.exitCode = 1;
});
