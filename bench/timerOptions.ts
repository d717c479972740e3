/**
 * Timer options for the tick grid: how late each slot fires, how many are missed, and what it
 * costs in CPU, for each way of waking up before a slot (issue 11, "Sub-millisecond timing
 * without burning a core").
 *
 *   npm run bench -- timer [--duration 10s] [--runs 1]
 *
 * Options, each a child process running one grid at 10 ms alone (its CPU from process.cpuUsage):
 *   timers, spin 1 ms     the product's default: a timer 1 ms early, then setImmediate turns
 *   timers, spin 0.5 ms
 *   timers, no spin       Node's millisecond timers alone
 *   worker, spin 0.2 ms   a worker thread sleeping in Atomics.wait posts a wake-up (workerWaker)
 *   worker, spin 0.5 ms
 */
import { spawnSync } from 'node:child_process';
import { startTickGrid, systemClock } from '../src/time';
import { benchArgs, duration, positiveInt } from './lib/args';
import { fmt, mean, median, printTable, quantile, writeResults } from './lib/report';
import { createWorkerWaker } from './lib/workerWaker';

interface Result {
  sent: number;
  missed: number;
  errMeanUs: number;
  errMedianUs: number;
  errP99Us: number;
  cpuPercent: number;
}

/** The child: one grid, then its figures as JSON on stdout. */
function child(mode: string, spinMs: number, durationMs: number): void {
  const waker = mode === 'worker' ? createWorkerWaker() : undefined;
  const errs: number[] = [];
  let missed = 0;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  startTickGrid({
    clock: systemClock,
    intervalMs: 10,
    count: Math.round(durationMs / 10),
    spinMs,
    ...(waker ? { waker } : {}),
    onTick: (tick) => {
      errs.push((tick.firedAt - tick.dueAt) * 1000);
      missed += tick.missedBefore;
    },
    onEnd: (atEnd) => {
      const used = process.cpuUsage(cpu0);
      const wallMs = performance.now() - wall0;
      waker?.close();
      const result: Result = {
        sent: errs.length,
        missed: missed + atEnd,
        errMeanUs: mean(errs),
        errMedianUs: median(errs),
        errP99Us: quantile(errs, 0.99),
        cpuPercent: (100 * (used.user + used.system)) / 1000 / wallMs,
      };
      process.stdout.write(JSON.stringify(result));
    },
  });
}

const OPTIONS = [
  { key: 'timers-1', label: 'timers, spin 1 ms', mode: 'timers', spinMs: 1 },
  { key: 'timers-0.5', label: 'timers, spin 0.5 ms', mode: 'timers', spinMs: 0.5 },
  { key: 'timers-0', label: 'timers, no spin', mode: 'timers', spinMs: 0 },
  { key: 'worker-0.2', label: 'worker, spin 0.2 ms', mode: 'worker', spinMs: 0.2 },
  { key: 'worker-0.5', label: 'worker, spin 0.5 ms', mode: 'worker', spinMs: 0.5 },
];

function main(): void {
  if (process.argv[2] === '--child') {
    child(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5]));
    return;
  }
  const args = benchArgs(['duration', 'runs'] as const);
  const durationMs = duration(args.duration ?? '10s');
  const runs = positiveInt(args.runs ?? '1');
  const measured = new Map<string, Result[]>(OPTIONS.map((o) => [o.key, []]));
  for (let run = 1; run <= runs; run += 1) {
    for (const option of OPTIONS) {
      console.log(`run ${run}/${runs}: ${option.label} (${durationMs / 1000} s)`);
      const out = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          __filename,
          '--child',
          option.mode,
          String(option.spinMs),
          String(durationMs),
        ],
        { encoding: 'utf8', timeout: durationMs + 30_000 },
      );
      if (out.status !== 0) throw new Error(`timer child failed: ${out.stderr}`);
      measured.get(option.key)!.push(JSON.parse(out.stdout) as Result);
    }
  }
  const m = (key: string, pick: (r: Result) => number) => median(measured.get(key)!.map(pick));
  printTable(
    `Tick grid at 10 ms for ${durationMs / 1000} s, one process per option, ${runs > 1 ? `median of ${runs} runs` : '1 run'}`,
    ['option', 'sent', 'missed', 'error mean, µs', 'median, µs', 'p99, µs', 'CPU, % of a core'],
    OPTIONS.map((o) => [
      o.label,
      fmt(m(o.key, (r) => r.sent)),
      fmt(m(o.key, (r) => r.missed)),
      fmt(m(o.key, (r) => r.errMeanUs)),
      fmt(m(o.key, (r) => r.errMedianUs)),
      fmt(m(o.key, (r) => r.errP99Us)),
      fmt(
        m(o.key, (r) => r.cpuPercent),
        1,
      ),
    ]),
  );
  writeResults('timerOptions', {
    durationMs,
    runs,
    options: Object.fromEntries(OPTIONS.map((o) => [o.key, { ...o, runs: measured.get(o.key) }])),
  });
}

main();
