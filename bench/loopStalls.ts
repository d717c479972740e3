/**
 * Event-loop stalls of the example's shape: one server and three clients (10 ms ticks, spin
 * 1 ms) in ONE process, as `npm run example:three-clients` runs them, each configuration in its
 * own child process. A stall there is a missed slot in every client at once.
 *
 *   npm run bench -- stalls [--duration 60s] [--runs 1] [--old-root ../old-checkout]
 *
 * Per run: ticks sent and missed slots per client; loop stalls (a 2 ms beat that came more
 * than 10 ms late); GC pauses (count, total, how many over 10 ms, the longest) from
 * perf_hooks; how many stalls had a GC pause inside them (the rest are the process not
 * running: a busy machine's scheduler, or our own synchronous work); CPU of the process.
 * `--old-root` runs another checkout's sources (its src/index.ts, through tsx) the same way in
 * the same run, e.g. main before a change.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { benchArgs, duration, positiveInt } from './lib/args';
import { fmt, machineInfo, median, printTable, writeResults } from './lib/report';

interface StallFigures {
  clients: Array<{ sent: number; missed: number }>;
  stalls: number;
  stallsWithGc: number;
  longestStallMs: number;
  gcCount: number;
  gcTotalMs: number;
  gcOver10ms: number;
  gcMaxMs: number;
  cpuS: number;
}

/** In the child: runs the assignment from `root`'s sources and prints one JSON line. */
async function child(root: string, durationMs: number): Promise<void> {
  const lib = (await import(join(root, 'src', 'index.ts'))) as typeof import('../src');
  lib.configureLogging('warn');
  const gcAt: Array<[number, number]> = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcAt.push([e.startTime, e.startTime + e.duration]);
  }).observe({ entryTypes: ['gc'] });
  const stallAt: Array<[number, number]> = [];
  let last = performance.now();
  const beat = setInterval(() => {
    const now = performance.now();
    if (now - last > 12) stallAt.push([last, now]);
    last = now;
  }, 2);
  const out = mkdtempSync(join(os.tmpdir(), 'stalls-'));
  const cpu0 = process.cpuUsage();
  try {
    const result = await lib.runAssignment({
      durationMs,
      intervalMs: 10,
      outDir: out,
      port: 0,
      clients: 3,
      staggerMs: Math.min(2000, durationMs / 4),
      spinMs: 1,
    });
    clearInterval(beat);
    const cpu = process.cpuUsage(cpu0);
    const gc = gcAt.map(([a, b]) => b - a);
    const figures: StallFigures = {
      clients: result.clients.map((c) => ({ sent: c.ticksSent, missed: c.missedSlots })),
      stalls: stallAt.length,
      stallsWithGc: stallAt.filter(([a, b]) => gcAt.some(([g0, g1]) => g0 < b && g1 > a)).length,
      longestStallMs: Math.max(0, ...stallAt.map(([a, b]) => b - a - 2)),
      gcCount: gc.length,
      gcTotalMs: gc.reduce((a, b) => a + b, 0),
      gcOver10ms: gc.filter((d) => d > 10).length,
      gcMaxMs: Math.max(0, ...gc),
      cpuS: (cpu.user + cpu.system) / 1e6,
    };
    process.stdout.write(`STALLS ${JSON.stringify(figures)}\n`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function runChild(root: string, durationMs: number): StallFigures {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', __filename, '--child-root', root, '--duration', `${durationMs}ms`],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const line = run.stdout.split('\n').find((l) => l.startsWith('STALLS '));
  if (!line) throw new Error(`no figures from ${root}: ${run.stderr.slice(-2000)}`);
  return JSON.parse(line.slice('STALLS '.length)) as StallFigures;
}

async function main(): Promise<void> {
  const args = benchArgs(['duration', 'runs', 'old-root', 'child-root'] as const);
  const durationMs = duration(args.duration ?? '60s');
  if (args['child-root']) return child(args['child-root'], durationMs);
  const runs = positiveInt(args.runs ?? '1');
  const roots: Array<[string, string]> = [['ours', resolve(__dirname, '..')]];
  if (args['old-root']) roots.push(['--old-root', resolve(args['old-root'])]);
  const loadStart = os.loadavg();
  const results: Record<string, StallFigures[]> = {};
  for (let r = 0; r < runs; r++) {
    for (const [label, root] of roots) {
      console.log(
        `run ${r + 1}/${runs}: ${label} (${durationMs / 1000} s, load ${fmt(os.loadavg()[0], 2)})`,
      );
      results[label] = [...(results[label] ?? []), runChild(root, durationMs)];
    }
  }
  const planned = Math.round(durationMs / 10);
  const med = (label: string, pick: (f: StallFigures) => number, decimals = 0) =>
    fmt(median(results[label]!.map(pick)), decimals);
  const labels = roots.map(([label]) => label);
  printTable(
    `Loop stalls, server + 3 clients in one process, ${durationMs / 1000} s at 10 ms, medians of ${runs} run(s) (load ${loadStart.map((l) => l.toFixed(2)).join(' ')} → ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
    ['figure', ...labels],
    [
      [
        `ticks sent of ${planned}, per client`,
        ...labels.map((l) =>
          results[l]!.map((f) => f.clients.map((c) => c.sent).join(' / ')).join('; '),
        ),
      ],
      [
        'missed slots, all clients',
        ...labels.map((l) => med(l, (f) => f.clients.reduce((a, c) => a + c.missed, 0))),
      ],
      ['loop stalls > 10 ms', ...labels.map((l) => med(l, (f) => f.stalls))],
      ['… with a GC pause inside', ...labels.map((l) => med(l, (f) => f.stallsWithGc))],
      ['longest stall, ms', ...labels.map((l) => med(l, (f) => f.longestStallMs))],
      ['GC pauses', ...labels.map((l) => med(l, (f) => f.gcCount))],
      ['GC total, ms', ...labels.map((l) => med(l, (f) => f.gcTotalMs))],
      ['GC pauses > 10 ms', ...labels.map((l) => med(l, (f) => f.gcOver10ms))],
      ['longest GC pause, ms', ...labels.map((l) => med(l, (f) => f.gcMaxMs, 1))],
      ['process CPU, s', ...labels.map((l) => med(l, (f) => f.cpuS, 1))],
    ],
  );
  const file = writeResults('loopStalls', {
    command: `npm run bench -- stalls ${process.argv.slice(2).join(' ')}`,
    machine: machineInfo(),
    loadStart,
    loadEnd: os.loadavg(),
    durationMs,
    runs: results,
  });
  console.log(`\nresults: ${file}`);
}

void main();
