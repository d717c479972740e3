/**
 * Server capacity: the most concurrent clients at 100 Hz that one server holds with zero
 * rows lost and ≤ 1 % missed slots, and messages/s against a plain Node TCP echo of the
 * same frames loaded the same way in the same run.
 *
 *   npm run bench -- capacity [--ladder 250,500,1000,1500,2000,3000] [--duration 10s]
 *                             [--generators 2] [--runs 1] [--profile-at 1000] [--servers echo,timeswarm]
 *
 * For each N of the ladder, a fresh server process (bench/lib/serverChild.ts: ours, or the
 * echo baseline) is loaded by `--generators` load-generator processes
 * (bench/lib/loadGenerator.ts: N real TCP connections with the hello/welcome handshake,
 * all driven from one drift-free timer loop per process). Echo and ours alternate at each
 * N. Missed slots are counted by the generators; replies lost = ticks sent − replies
 * received after a 2 s drain; rows lost = 2 × ticks sent − rows in serverTimeData.txt.
 *
 * `--tick-burst N` raises our server's tick-burst limit (ExchangeLimits.tickBurst, default 20):
 * with the default, a server stall of ≥ 200 ms (CPU starvation, GC) cuts clients off with
 * ERR_RATE_LIMIT, which then dominates the figures (see BENCHMARKS.md).
 *
 * `--profile-at N` adds one more run of our server at N clients with the V8 CPU profiler on
 * during the tick phase (lines mapped back to src/ through tsx's source maps) and prints
 * where its time goes: self time by source area and by function.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { benchArgs, duration, intList, positiveInt } from './lib/args';
import { type LoadStepResult, runLoadStep } from './lib/loadStep';
import { type ProfileSummary, summarizeProfile } from './lib/profileSummary';
import { fmt, median, printTable, RESULTS_DIR, ratio, writeResults } from './lib/report';
import type { ServerKind } from './lib/serverChild';

const pct = (v: number) => `${fmt(v, 2)} %`;

function codes(r: LoadStepResult): string {
  const odd = Object.entries(r.serverCloseCodes).filter(([code]) => code !== 'OK');
  return odd.length
    ? ` (server closed: ${odd.map(([code, n]) => `${n}× ${code}`).join(', ')})`
    : '';
}

function line(r: LoadStepResult): string {
  return (
    `  ${r.server.padEnd(9)} N=${String(r.clients).padEnd(5)} ${fmt(r.messagesPerSecond).padStart(8)} msg/s` +
    `  lost ${r.repliesLost}  rows lost ${r.rowsLost ?? '–'}  missed ${pct(r.missedPercent)}` +
    `  rtt p50/p99 ${fmt(r.rttMedianMs, 2)}/${fmt(r.rttP99Ms, 1)} ms  server ${fmt(r.serverCpuCores * 100)} % CPU` +
    ` (${fmt(r.serverCpuUsPerMessage, 1)} µs/msg)  generators ${fmt(r.generatorCpuCores * 100)} %  others ${fmt(r.othersCpuCores * 100)} %` +
    `  ${r.clean ? 'clean' : 'NOT clean'}${codes(r)}${r.connectFailed ? ` (${r.connectFailed} failed to connect: ${r.connectError})` : ''}`
  );
}

async function profileRun(
  clients: number,
  durationMs: number,
  generators: number,
  tickBurst: number | undefined,
): Promise<{ step: LoadStepResult; profile: ProfileSummary }> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const profilePath = join(RESULTS_DIR, `serverCapacity-profile-${clients}.cpuprofile`);
  const step = await runLoadStep({
    server: 'timeswarm',
    clients,
    durationMs,
    generators,
    profilePath,
    ...(tickBurst ? { tickBurst } : {}),
  });
  console.log(`profile (tick phase only, lines mapped to src/): ${profilePath}`);
  return { step, profile: summarizeProfile(profilePath, 30) };
}

async function main(): Promise<void> {
  const args = benchArgs([
    'ladder',
    'duration',
    'generators',
    'profile-at',
    'servers',
    'runs',
    'tick-burst',
  ] as const);
  const tickBurst = args['tick-burst'] ? positiveInt(args['tick-burst']) : undefined;
  const ladder = intList(args.ladder ?? '250,500,1000,1500,2000,3000');
  const durationMs = duration(args.duration ?? '10s');
  const generators = positiveInt(args.generators ?? '2');
  const runs = positiveInt(args.runs ?? '1');
  const profileAt = args['profile-at'] ? positiveInt(args['profile-at']) : null;
  const servers = (args.servers ?? 'echo,timeswarm').split(',') as ServerKind[];

  console.log(
    `capacity: ladder ${ladder.join(', ')} clients at 100 Hz, ${durationMs / 1000} s each, ${generators} generator process(es), servers ${servers.join(' + ')}, ${runs} run(s), our tick-burst limit ${tickBurst ?? 'the default'}`,
  );
  const results: (LoadStepResult & { run: number })[] = [];
  for (let run = 1; run <= runs; run++) {
    const failures = new Map<ServerKind, number>();
    for (const clients of ladder) {
      for (const server of servers) {
        // Two unclean steps in a row: larger N will not be cleaner, save the time.
        if ((failures.get(server) ?? 0) >= 2) continue;
        const step = await runLoadStep({
          server,
          clients,
          durationMs,
          generators,
          ...(tickBurst ? { tickBurst } : {}),
        });
        results.push({ ...step, run });
        console.log(`${runs > 1 ? `run ${run}: ` : ''}${line(step)}`);
        failures.set(server, step.clean ? 0 : (failures.get(server) ?? 0) + 1);
      }
    }
  }

  const steps = (server: ServerKind, clients: number) =>
    results.filter((r) => r.server === server && r.clients === clients);
  const med = (set: LoadStepResult[], pick: (r: LoadStepResult) => number) =>
    set.length ? median(set.map(pick)) : Number.NaN;
  const rows: string[][] = [];
  for (const n of ladder) {
    for (const server of servers) {
      const set = steps(server, n);
      if (set.length === 0) continue;
      const echo = steps('echo', n);
      const isOurs = server === 'timeswarm';
      rows.push([
        fmt(n),
        server === 'timeswarm' ? 'ours' : server,
        fmt(med(set, (r) => r.messagesPerSecond)),
        `${fmt(med(set, (r) => r.repliesLost))} / ${set[0]!.rowsLost === null ? '–' : fmt(med(set, (r) => r.rowsLost ?? 0))}`,
        pct(med(set, (r) => r.missedPercent)),
        `${fmt(
          med(set, (r) => r.rttMedianMs),
          2,
        )} / ${fmt(
          med(set, (r) => r.rttP99Ms),
          1,
        )}`,
        `${fmt(med(set, (r) => r.serverCpuCores) * 100)} %`,
        fmt(
          med(set, (r) => r.serverCpuUsPerMessage),
          1,
        ),
        `${fmt(med(set, (r) => r.generatorCpuCores) * 100)} % / ${fmt(med(set, (r) => r.othersCpuCores) * 100)} %`,
        `${set.filter((r) => r.clean).length}/${set.length}`,
        isOurs && echo.length
          ? fmt(
              ratio(
                med(set, (r) => r.messagesPerSecond),
                med(echo, (r) => r.messagesPerSecond),
              ),
              2,
            )
          : '',
        isOurs && echo.length
          ? fmt(
              ratio(
                med(echo, (r) => r.serverCpuUsPerMessage),
                med(set, (r) => r.serverCpuUsPerMessage),
              ),
              2,
            )
          : '',
      ]);
    }
  }
  printTable(
    `Server capacity at 100 Hz per client, ${durationMs / 1000} s per step, ${generators} generator process(es), ${runs > 1 ? `medians of ${runs} runs` : '1 run'} (baseline: raw TCP echo, same generator, same run)`,
    [
      'clients',
      'server',
      'replies/s',
      'lost replies / rows',
      'missed slots',
      'RTT p50 / p99, ms',
      'server CPU',
      'server CPU µs/msg',
      'generators / others CPU',
      'clean',
      'ratio replies/s ours/echo',
      'ratio CPU/msg echo/ours',
    ],
    rows,
  );
  const maxClean = (server: ServerKind, run: number) =>
    Math.max(
      0,
      ...results
        .filter((r) => r.server === server && r.run === run && r.clean)
        .map((r) => r.clients),
    );
  const runNumbers = Array.from({ length: runs }, (_, i) => i + 1);
  const oursMax = runNumbers.map((run) => maxClean('timeswarm', run));
  const echoMax = runNumbers.map((run) => maxClean('echo', run));
  console.log(
    `most clients held clean (per run): ours ${oursMax.join(', ')}; echo ${echoMax.join(', ')}; median ratio ${fmt(ratio(median(oursMax), median(echoMax)), 2)}. Targets: ours ≥ 2000 clients, replies/s ratio ≥ 0.5`,
  );

  let profile: { step: LoadStepResult; profile: ProfileSummary } | null = null;
  if (profileAt) {
    console.log(
      `\nprofiling our server at ${profileAt} clients (V8 CPU profiler, tick phase only)…`,
    );
    profile = await profileRun(profileAt, durationMs, generators, tickBurst);
    console.log(line(profile.step));
    printTable(
      `Our server's self time at ${profileAt} clients, by area (% of busy time; busy ${fmt(profile.profile.busyMs)} ms of ${fmt(profile.profile.totalMs)} ms)`,
      ['area', 'self %'],
      profile.profile.areas.slice(0, 15).map((a) => [a.area, fmt(a.percent, 1)]),
    );
    printTable(
      'Top functions by self time',
      ['function', 'where (source line)', 'area', 'self %'],
      profile.profile.functions
        .slice(0, 25)
        .map((f) => [f.name, f.where, f.area, fmt(f.percent, 1)]),
    );
  }

  writeResults('serverCapacity', {
    ladder,
    durationMs,
    generators,
    runs,
    tickBurst: tickBurst ?? 'default',
    maxClean: { timeswarm: oursMax, echo: echoMax },
    steps: results,
    profile,
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
