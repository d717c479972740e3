/**
 * Tick fidelity and the probe's own cost: one client ticking every 10 ms on loopback, ours next
 * to a raw Node client and echo and to irtt 0.9 in the same run, each side its own process.
 *
 *   npm run bench -- tick [--duration 30s] [--interval 10ms] [--runs 1] [--no-irtt] [--split]
 *                         [--old-bin ../old-checkout/bin/timeswarm.cjs]
 *
 * Configurations, in this order in every run:
 *   ours                    `timeswarm client` against `timeswarm server` (the built CLI, as
 *                           installed; spin 1 ms, the CLI default)
 *   ours, secret            the same with a shared secret: authenticated handshake and a
 *                           16-byte HMAC-SHA256 tag on every frame (docs/protocol.md, 4.3.2)
 *   raw Node (client + echo)  bench/lib/rawTick.cjs: a bare `net` client on the same grid,
 *                           spin and frames, against a bare TCP echo; plain Node, nothing loaded
 *   irtt                    irtt 0.9 client and server (UDP, Go): the bar
 * With `--old-bin`, also ours from another checkout's built CLI (client and server), e.g. the
 * version before a change, measured in the same run. With `--split` also: ours with spin 0, our client + a bare protocol server (our client's
 * share), and the raw client + our server (our server's share).
 *
 * Every process is watched from /proc (bench/lib/procStats.ts): CPU per second after its first
 * second (start-up left out), and peak resident memory (VmHWM). Ours: figures from the client's
 * --json summary and its .exchanges.csv sidecar (t1..t4: the one-way split, the server's hold
 * t3 − t2 and the clock offset θ, which on one host should be 0). irtt: its JSON, whose wall
 * stamps give the same split and θ; its RTT excludes the server's processing, so ours is also
 * shown as RTT − (t3 − t2).
 */
import { spawnSync } from 'node:child_process';
import { buildIfStale } from '../scripts/buildIfStale';
import { benchArgs, duration, positiveInt } from './lib/args';
import { fmt, median, printTable, ratio, writeResults } from './lib/report';
import { type Figures, runIrtt, runOurs, runRaw, type TickSettings } from './lib/tickRunners';

const SECRET = 'bench secret: not a real one';

/** Makes sure irtt is installed (apt-get, once); returns its version line or null. */
function ensureIrtt(): string | null {
  const version = () => spawnSync('irtt', ['version'], { encoding: 'utf8' });
  let probe = version();
  if (probe.error) {
    console.log('irtt not found: apt-get update && apt-get install -y irtt');
    spawnSync('apt-get', ['update'], { stdio: 'inherit' });
    spawnSync('apt-get', ['install', '-y', 'irtt'], { stdio: 'inherit' });
    probe = version();
  }
  if (probe.error || probe.status !== 0) return null;
  return probe.stdout.split('\n')[0] ?? 'irtt';
}

interface Config {
  key: string;
  label: string;
  run: () => Promise<Figures>;
}

async function main(): Promise<void> {
  const args = benchArgs(
    ['duration', 'interval', 'runs', 'old-bin'] as const,
    ['no-irtt', 'split'] as const,
  );
  const oldBin = args['old-bin'];
  const durationMs = duration(args.duration ?? '30s');
  const intervalMs = duration(args.interval ?? '10ms');
  const runs = positiveInt(args.runs ?? '1');
  const planned = Math.round(durationMs / intervalMs);
  const s: TickSettings = { durationMs, intervalMs, spinMs: 1 };
  if (buildIfStale() === 'built') console.log('dist/ was stale: built it');
  const irttVersion = args['no-irtt'] ? null : ensureIrtt();
  if (!args['no-irtt'] && !irttVersion) console.log('irtt unavailable: its column stays empty');

  const configs: Config[] = [
    { key: 'ours', label: 'ours', run: () => runOurs(s) },
    { key: 'oursSecret', label: 'ours, secret', run: () => runOurs(s, { secret: SECRET }) },
    ...(oldBin
      ? [{ key: 'oursOld', label: 'ours, --old-bin', run: () => runOurs(s, { bin: oldBin }) }]
      : []),
    ...(args.split
      ? [
          { key: 'oursSpin0', label: 'ours, spin 0', run: () => runOurs({ ...s, spinMs: 0 }) },
          {
            key: 'oursClientBareServer',
            label: 'our client + bare server',
            run: () => runOurs(s, { server: 'proto' }),
          },
          {
            key: 'rawClientOurServer',
            label: 'raw client + our server',
            run: () => runRaw(s, 'timeswarm'),
          },
        ]
      : []),
    { key: 'rawNode', label: 'raw Node (client + echo)', run: () => runRaw(s, 'echo') },
    ...(irttVersion
      ? [{ key: 'irtt', label: 'irtt', run: () => runIrtt(s, planned) as Promise<Figures> }]
      : []),
  ];
  const measured = new Map<string, Figures[]>(configs.map((c) => [c.key, []]));
  for (let run = 1; run <= runs; run++) {
    for (const config of configs) {
      console.log(`run ${run}/${runs}: ${config.label} (${durationMs / 1000} s)`);
      measured.get(config.key)!.push(await config.run());
    }
  }

  const m = (key: string, pick: (f: Figures) => number | undefined) => {
    const values = (measured.get(key) ?? []).map((f) => pick(f) ?? Number.NaN);
    return values.length ? median(values) : Number.NaN;
  };
  const us = (v: number) => fmt(v * 1000, 0);
  const count = (v: number) => fmt(v);
  const pct = (v: number) => fmt(v * 100, 1);
  const mib = (v: number) => fmt(v, 1);
  const row = (
    label: string,
    pick: (f: Figures) => number | undefined,
    show: (v: number) => string,
    target: string,
  ) => [
    label,
    ...configs.map((c) => show(m(c.key, pick))),
    fmt(ratio(m('ours', pick), m('rawNode', pick)), 2),
    fmt(ratio(m('ours', pick), m('irtt', pick)), 2),
    target,
  ];
  printTable(
    `Tick fidelity, ${durationMs / 1000} s at ${intervalMs} ms on loopback, ${runs > 1 ? `median of ${runs} runs` : '1 run'}, each side its own process (baseline: raw Node and ${irttVersion ?? 'irtt (unavailable)'}, same run)`,
    ['figure', ...configs.map((c) => c.label), 'ours/raw', 'ours/irtt', 'goal (ours)'],
    [
      row(`ticks sent of ${planned}`, (f) => f.sent, count, `${planned}`),
      row('missed slots', (f) => f.missed, count, '0'),
      row('lost', (f) => f.lost, count, '0'),
      row('timer error mean, µs', (f) => f.timerErrMean, us, '≤ 100'),
      row('timer error p99, µs', (f) => f.timerErrP99, us, ''),
      row('RTT median, µs', (f) => f.rttMedian, us, '≤ 1.15 × raw, ≤ irtt'),
      row('RTT p99, µs', (f) => f.rttP99, us, ''),
      row('RTT − hold (t3−t2), median, µs', (f) => f.rttNetMedian, us, ''),
      row('up t2−t1, median, µs', (f) => f.upMs, us, ''),
      row('hold t3−t2, median, µs', (f) => f.holdMs, us, '≤ 25'),
      row('hold t3−t2, p99, µs', (f) => f.holdP99Ms, us, '≤ 200'),
      row('down t4−t3, median, µs', (f) => f.downMs, us, ''),
      row('offset θ, median, µs', (f) => f.thetaMs, us, '|θ| ≤ 20'),
      row(
        'client CPU, % of a core after start-up',
        (f) => f.client?.cpuPerSecond,
        pct,
        '≤ 2 × irtt',
      ),
      row(
        'client CPU, whole process, s',
        (f) => f.client?.cpuSeconds,
        (v) => fmt(v, 2),
        '',
      ),
      row('client peak memory (VmHWM), MiB', (f) => f.client?.peakMiB, mib, '≤ 60'),
      row('server CPU, % of a core after start-up', (f) => f.server?.cpuPerSecond, pct, ''),
      row('server peak memory (VmHWM), MiB', (f) => f.server?.peakMiB, mib, ''),
    ],
  );
  writeResults('tickFidelity', {
    durationMs,
    intervalMs,
    runs,
    irttVersion,
    configurations: Object.fromEntries(
      configs.map((c) => [c.key, { label: c.label, runs: measured.get(c.key) }]),
    ),
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
