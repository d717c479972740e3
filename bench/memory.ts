/**
 * Memory: the server's RSS under a steady load of 100 clients at 100 Hz, after 10 s against
 * after the whole run (default 5 minutes). Flat means no leak per tick or per client.
 *
 *   npm run bench -- memory [--duration 5m] [--clients 100] [--sample 10s]
 *
 * Long by design: not part of the default `npm run bench` set, never run by CI or jest.
 * The server runs in its own process (bench/lib/serverChild.ts, --expose-gc) and the load
 * comes from the bench load generator (bench/lib/loadGenerator.ts) in another.
 */
import { benchArgs, duration, positiveInt } from './lib/args';
import { sleep } from './lib/children';
import { runLoadStep } from './lib/loadStep';
import { fmt, printTable, ratio, writeResults } from './lib/report';
import type { ServerStats } from './lib/serverChild';

interface Sample {
  atS: number;
  rssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
}

async function main(): Promise<void> {
  const args = benchArgs(['duration', 'clients', 'sample'] as const);
  const durationMs = duration(args.duration ?? '5m');
  const clients = positiveInt(args.clients ?? '100');
  const sampleMs = duration(args.sample ?? '10s');
  if (durationMs < 20_000)
    throw new Error('--duration must be at least 20s (the baseline is taken at 10 s)');

  const samples: Sample[] = [];
  let baselineGc: ServerStats | null = null;
  let endGc: ServerStats | null = null;
  const toSample = (atS: number, s: ServerStats): Sample => ({
    atS,
    rssMiB: s.rssMiB,
    heapUsedMiB: s.heapUsedMiB,
    heapTotalMiB: s.heapTotalMiB,
    externalMiB: s.externalMiB,
  });

  console.log(
    `memory: ${clients} clients at 100 Hz for ${durationMs / 1000} s, sampling every ${sampleMs / 1000} s`,
  );
  const step = await runLoadStep({
    server: 'timeswarm',
    clients,
    durationMs,
    serverNodeFlags: ['--expose-gc'],
    async during(server) {
      const started = Date.now();
      const last = durationMs - 1000;
      const times: number[] = [];
      for (let at = 10_000; at < last; at += sampleMs) times.push(at);
      times.push(last);
      for (const at of times) {
        await sleep(Math.max(0, at - (Date.now() - started)));
        const plain = await server.stats(false);
        const atS = Math.round((Date.now() - started) / 1000);
        samples.push(toSample(atS, plain));
        if (at === 10_000) baselineGc = await server.stats(true);
        if (at === last) endGc = await server.stats(true);
        console.log(
          `  t=${atS} s  rss ${fmt(plain.rssMiB, 1)} MiB  heap ${fmt(plain.heapUsedMiB, 1)} MiB`,
        );
      }
    },
  });

  const first = samples[0]!;
  const end = samples[samples.length - 1]!;
  const base = baselineGc as ServerStats | null;
  const final = endGc as ServerStats | null;
  const peakRss = Math.max(...samples.map((s) => s.rssMiB));
  printTable(
    `Server memory, ${clients} clients at 100 Hz, ${durationMs / 1000} s (baseline: the same server at 10 s)`,
    ['figure', `at ${first.atS} s (baseline)`, `at ${end.atS} s`, 'ratio end/baseline'],
    [
      [
        'RSS, MiB',
        fmt(first.rssMiB, 1),
        fmt(end.rssMiB, 1),
        fmt(ratio(end.rssMiB, first.rssMiB), 2),
      ],
      [
        'heap used, MiB',
        fmt(first.heapUsedMiB, 1),
        fmt(end.heapUsedMiB, 1),
        fmt(ratio(end.heapUsedMiB, first.heapUsedMiB), 2),
      ],
      [
        'heap used after GC, MiB',
        fmt(base?.heapUsedMiB, 1),
        fmt(final?.heapUsedMiB, 1),
        fmt(ratio(final?.heapUsedMiB ?? Number.NaN, base?.heapUsedMiB ?? Number.NaN), 2),
      ],
      [
        'RSS after GC, MiB',
        fmt(base?.rssMiB, 1),
        fmt(final?.rssMiB, 1),
        fmt(ratio(final?.rssMiB ?? Number.NaN, base?.rssMiB ?? Number.NaN), 2),
      ],
      ['peak RSS over the run, MiB', '', fmt(peakRss, 1), fmt(ratio(peakRss, first.rssMiB), 2)],
    ],
  );
  printTable(
    'Load during the run',
    ['ticks sent', 'replies', 'missed slots', 'server rows', 'rows lost', 'server CPU'],
    [
      [
        fmt(step.sent),
        fmt(step.replies),
        fmt(step.missed),
        fmt(step.serverRows),
        fmt(step.rowsLost),
        `${fmt(step.serverCpuCores * 100, 1)} %`,
      ],
    ],
  );
  writeResults('memory', {
    clients,
    durationMs,
    sampleMs,
    samples,
    baselineAfterGc: base,
    endAfterGc: final,
    rssRatio: ratio(end.rssMiB, first.rssMiB),
    heapAfterGcRatio: ratio(final?.heapUsedMiB ?? Number.NaN, base?.heapUsedMiB ?? Number.NaN),
    load: step,
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
