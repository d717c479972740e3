/**
 * Tick fidelity: one client session ticking every 10 ms for 30 s against our server on
 * loopback, next to irtt 0.9 (UDP, Go) doing the same in the same run.
 *
 *   npm run bench -- tick [--duration 30s] [--interval 10ms] [--runs 1] [--no-irtt] [--no-split]
 *
 * Configurations, in this order in every run (`--no-split` leaves out the middle two):
 *   ours, spinMs 1          our client session + our server (the CLI's defaults)
 *   ours, spinMs 0          the same without the spin before each tick
 *   our client + bare server   our client against `proto` (bench/lib/serverChild.ts): tells
 *                           our client's share of the RTT
 *   raw client + our server    a bare `net` client (runRawClient) against our server: our
 *                           server's share
 *   raw Node                the bare client against a raw TCP echo: what Node itself costs
 *   irtt                    irtt 0.9, the bar
 *
 * Ours: the server in its own process (bench/lib/serverChild.ts: startServer + tcpTransport)
 * and one client session in this process (startClient + tcpTransport), with spinMs 1 (the
 * CLI default) and spinMs 0. Figures come from the session's ClientSessionSummary, and the
 * RTT without server processing time from its .exchanges.csv sidecar (rtt − (t3 − t2)),
 * which is how irtt reports RTT.
 *
 * irtt: installed with apt-get if missing; `irtt server` and `irtt client -i 10ms -d 30s
 * -o file.json` on 127.0.0.1 with a free UDP port; figures from its JSON (see irttFigures).
 */
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import type { ClientSessionSummary } from '../src/actors/client';
import { startClient } from '../src/runtime';
import { parseExchangeLog } from '../src/storage';
import { encodeFrame, SESSION_PROTOCOL_VERSION, tcpTransport } from '../src/transport';
import { benchArgs, duration, positiveInt } from './lib/args';
import { sleep, waitExit } from './lib/children';
import { startServerProcess } from './lib/loadStep';
import { fmt, mean, median, printTable, quantile, ratio, writeResults } from './lib/report';

/** The figures compared, all times in ms. */
interface Figures {
  planned: number;
  sent: number;
  missed: number;
  timerErrMean: number;
  timerErrP99: number;
  timerErrMax: number;
  rttMedian: number;
  rttP99: number;
  /** RTT minus the server's processing time (t3 − t2): irtt's definition of RTT. */
  rttNetMedian: number;
  rttNetP99: number;
  lost: number;
  /** Ours only, medians from the sidecar (wall clocks of two processes on one machine). */
  breakdown?: { upMs: number; serverMs: number; downMs: number; clientOverheadMs: number };
}

async function runOurs(
  durationMs: number,
  intervalMs: number,
  spinMs: number,
  serverKind: 'timeswarm' | 'proto' = 'timeswarm',
): Promise<Figures & { summary: ClientSessionSummary }> {
  const server = await startServerProcess(serverKind);
  const outDir = mkdtempSync(join(os.tmpdir(), 'timeswarm-bench-tick-'));
  try {
    const session = startClient({
      transport: tcpTransport,
      server: { host: '127.0.0.1', port: server.port },
      outDir,
      intervalMs,
      durationMs,
      spinMs,
    });
    const summary = await session.done;
    await server.stop();
    if (summary.outcome !== 'done' || !summary.files) {
      throw new Error(
        `client session ${summary.outcome}: ${summary.error?.message ?? summary.endedEarly?.message}`,
      );
    }
    const log = parseExchangeLog(readFileSync(summary.files.exchanges, 'utf8'));
    const answered = log.records.filter(
      (r) => r.rttMicros !== null && r.t2 !== null && r.t3 !== null && r.t4 !== null,
    );
    const net = answered.map((r) => (r.rttMicros! - (r.t3! - r.t2!)) / 1000);
    const breakdown = {
      upMs: median(answered.map((r) => (r.t2! - r.t1) / 1000)),
      serverMs: median(answered.map((r) => (r.t3! - r.t2!) / 1000)),
      downMs: median(answered.map((r) => (r.t4! - r.t3!) / 1000)),
      clientOverheadMs: median(answered.map((r) => (r.rttMicros! - (r.t4! - r.t1)) / 1000)),
    };
    return {
      planned: summary.plannedTicks,
      sent: summary.ticksSent,
      missed: summary.missedSlots,
      timerErrMean: summary.timerErrorMs?.mean ?? Number.NaN,
      timerErrP99: summary.timerErrorMs?.p99 ?? Number.NaN,
      timerErrMax: summary.timerErrorMs?.max ?? Number.NaN,
      rttMedian: summary.rttMs?.median ?? Number.NaN,
      rttP99: summary.rttMs?.p99 ?? Number.NaN,
      rttNetMedian: median(net),
      rttNetP99: quantile(net, 0.99),
      lost: summary.lost,
      breakdown,
      summary,
    };
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    rmSync(outDir, { recursive: true, force: true });
  }
}

/**
 * A raw Node client (bench-only, no actors, no RxJS, no schema): one `net` socket ticking on
 * the same kind of drift-free grid as ours (absolute deadlines, the last `spinMs` spun with
 * setImmediate), the same tick frames (encodeFrame, seq and t1 patched in place), RTT from
 * performance.now() around each round trip, replies counted by their length prefixes.
 * Against `echo` it is the raw-Node baseline; against our server it isolates the server.
 */
async function runRawClient(
  serverKind: 'echo' | 'timeswarm',
  durationMs: number,
  intervalMs: number,
  spinMs: number,
): Promise<Figures> {
  const server = await startServerProcess(serverKind);
  try {
    const socket = net.connect({ host: '127.0.0.1', port: server.port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const template = encodeFrame({ type: 'tick', seq: 0x0001_0000, t1: Date.now() * 1000 });
    const seqAt = template.indexOf(Buffer.from([0xce, 0x00, 0x01, 0x00, 0x00])) + 1;
    const t1At = template.length - 8;
    const count = Math.round(durationMs / intervalMs);
    const sentAt: number[] = [];
    const timerErr: number[] = [];
    const rtts: number[] = [];
    let frames = 0;
    let pending: Buffer = Buffer.alloc(0);
    let onFrame: (now: number) => void = () => undefined;
    socket.on('data', (chunk: Buffer) => {
      const now = performance.now();
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32BE(0)) {
        pending = pending.subarray(4 + pending.readUInt32BE(0));
        onFrame(now);
      }
    });
    if (serverKind === 'timeswarm') {
      await new Promise<void>((resolve) => {
        onFrame = () => resolve(); // the welcome
        socket.write(encodeFrame({ type: 'hello', version: SESSION_PROTOCOL_VERSION, intervalMs }));
      });
    }
    onFrame = (now) => {
      rtts.push(now - sentAt[frames]!);
      frames += 1;
    };
    let missed = 0;
    await new Promise<void>((resolve) => {
      const start = performance.now();
      let next = 0;
      const schedule = () => {
        if (next >= count) return resolve();
        const wait = start + next * intervalMs - performance.now();
        if (wait > spinMs) setTimeout(fire, wait - spinMs);
        else if (spinMs > 0) setImmediate(fire);
        else setTimeout(fire, Math.max(0, wait));
      };
      const fire = () => {
        const now = performance.now();
        if (now < start + next * intervalMs) return schedule();
        const slot = Math.floor((now - start) / intervalMs + 1e-9);
        if (slot >= count) {
          missed += count - next;
          return resolve();
        }
        missed += slot - next;
        next = slot + 1;
        timerErr.push(now - (start + slot * intervalMs));
        const frame = Buffer.from(template);
        frame.writeUInt32BE(slot, seqAt);
        frame.writeDoubleBE(Math.round((performance.timeOrigin + performance.now()) * 1000), t1At);
        sentAt.push(performance.now());
        socket.write(frame);
        schedule();
      };
      fire();
    });
    const deadline = performance.now() + 2000;
    while (frames < sentAt.length && performance.now() < deadline) await sleep(5);
    if (serverKind === 'timeswarm')
      socket.end(encodeFrame({ type: 'bye', reason: 'benchmark over' }));
    else socket.destroy();
    await server.stop();
    return {
      planned: count,
      sent: sentAt.length,
      missed,
      timerErrMean: mean(timerErr),
      timerErrP99: quantile(timerErr, 0.99),
      timerErrMax: Math.max(...timerErr),
      rttMedian: median(rtts),
      rttP99: quantile(rtts, 0.99),
      rttNetMedian: Number.NaN,
      rttNetP99: Number.NaN,
      lost: sentAt.length - frames,
    };
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  }
}

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

/** A UDP port on 127.0.0.1 that is free right now. */
async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

interface IrttJson {
  config: { params: { interval: number } };
  stats: {
    packets_sent: number;
    packets_received: number;
    timer_misses: number;
    timer_error: { mean: number; max: number; stddev: number; n: number };
    rtt: { median: number; mean: number };
    server_processing_time: { mean: number };
  };
  round_trips: {
    seqno: number;
    lost: string;
    timestamps: { client: { send?: { monotonic: number }; receive?: { monotonic: number } } };
    delay: { rtt?: number };
  }[];
}

/**
 * irtt's figures (ns → ms). irtt's timer error is how late its timer woke against the slot
 * asked for (start + k × interval, see irtt's client.go); its JSON gives only n, min, max,
 * mean and stddev of it, so there is no irtt p99 (the per-packet send times include the
 * send call and cannot recover it). Its RTT excludes the server's processing time.
 */
function irttFigures(
  json: IrttJson,
  planned: number,
): Figures & { timerErrStddevMs: number; serverProcessingMeanMs: number } {
  const s = json.stats;
  const rtts = json.round_trips
    .filter((r) => r.lost === 'false' && r.delay.rtt !== undefined)
    .map((r) => r.delay.rtt! / 1e6);
  return {
    planned,
    sent: s.packets_sent,
    missed: s.timer_misses,
    timerErrMean: s.timer_error.mean / 1e6,
    timerErrP99: Number.NaN,
    timerErrMax: s.timer_error.max / 1e6,
    timerErrStddevMs: s.timer_error.stddev / 1e6,
    rttMedian: s.rtt.median / 1e6,
    rttP99: quantile(rtts, 0.99),
    rttNetMedian: s.rtt.median / 1e6,
    rttNetP99: quantile(rtts, 0.99),
    lost: s.packets_sent - s.packets_received,
    serverProcessingMeanMs: s.server_processing_time.mean / 1e6,
  };
}

async function runIrtt(durationMs: number, intervalMs: number, planned: number) {
  const port = await freeUdpPort();
  const dir = mkdtempSync(join(os.tmpdir(), 'timeswarm-bench-irtt-'));
  const server = spawn('irtt', ['server', '-b', `127.0.0.1:${port}`], { stdio: 'ignore' });
  try {
    await sleep(300);
    const out = join(dir, 'irtt.json');
    const client = spawnSync(
      'irtt',
      [
        'client',
        '-Q',
        '-i',
        `${intervalMs}ms`,
        '-d',
        `${durationMs}ms`,
        '-o',
        out,
        `127.0.0.1:${port}`,
      ],
      { encoding: 'utf8', timeout: durationMs + 60_000 },
    );
    if (client.status !== 0)
      throw new Error(`irtt client failed: ${client.stderr || client.error}`);
    return irttFigures(JSON.parse(readFileSync(out, 'utf8')) as IrttJson, planned);
  } finally {
    server.kill('SIGTERM');
    await waitExit(server, 5000);
    rmSync(dir, { recursive: true, force: true });
  }
}

const medianOf = <T>(runs: T[], pick: (r: T) => number) => median(runs.map(pick));

interface Config {
  key: string;
  label: string;
  run: () => Promise<Figures>;
}

async function main(): Promise<void> {
  const args = benchArgs(
    ['duration', 'interval', 'runs'] as const,
    ['no-irtt', 'no-split'] as const,
  );
  const durationMs = duration(args.duration ?? '30s');
  const intervalMs = duration(args.interval ?? '10ms');
  const runs = positiveInt(args.runs ?? '1');
  const planned = Math.round(durationMs / intervalMs);
  const irttVersion = args['no-irtt'] ? null : ensureIrtt();
  if (!args['no-irtt'] && !irttVersion) console.log('irtt unavailable: its column stays empty');

  const configs: Config[] = [
    { key: 'ours', label: 'ours, spinMs 1', run: () => runOurs(durationMs, intervalMs, 1) },
    { key: 'oursSpin0', label: 'ours, spinMs 0', run: () => runOurs(durationMs, intervalMs, 0) },
    ...(args['no-split']
      ? []
      : [
          {
            key: 'oursClientBareServer',
            label: 'our client + bare server',
            run: () => runOurs(durationMs, intervalMs, 1, 'proto'),
          },
          {
            key: 'rawClientOurServer',
            label: 'raw client + our server',
            run: () => runRawClient('timeswarm', durationMs, intervalMs, 1),
          },
        ]),
    {
      key: 'rawNode',
      label: 'raw Node (client + echo)',
      run: () => runRawClient('echo', durationMs, intervalMs, 1),
    },
    ...(irttVersion
      ? [
          {
            key: 'irtt',
            label: 'irtt (baseline)',
            run: () => runIrtt(durationMs, intervalMs, planned),
          },
        ]
      : []),
  ];
  const measured = new Map<string, Figures[]>(configs.map((c) => [c.key, []]));
  for (let run = 1; run <= runs; run++) {
    for (const config of configs) {
      console.log(`run ${run}/${runs}: ${config.label} (${durationMs / 1000} s)`);
      measured.get(config.key)!.push(await config.run());
    }
  }

  const m = (key: string, pick: (f: Figures) => number) => {
    const set = measured.get(key) ?? [];
    return set.length ? medianOf(set, pick) : Number.NaN;
  };
  const us = (ms: number) => fmt(ms * 1000, 0);
  const row = (
    label: string,
    pick: (f: Figures) => number,
    show: (v: number) => string,
    target: string,
  ) => [
    label,
    ...configs.map((c) => show(m(c.key, pick))),
    ...(irttVersion ? [] : [show(Number.NaN)]),
    fmt(ratio(m('ours', pick), m('irtt', pick)), 2),
    fmt(ratio(m('ours', pick), m('rawNode', pick)), 2),
    target,
  ];
  const title = `Tick fidelity, ${durationMs / 1000} s at ${intervalMs} ms on loopback, ${runs > 1 ? `median of ${runs} runs` : '1 run'} (baseline: ${irttVersion ?? 'irtt (unavailable)'}, same run)`;
  printTable(
    title,
    [
      'figure',
      ...configs.map((c) => c.label),
      ...(irttVersion ? [] : ['irtt (unavailable)']),
      'ratio ours/irtt',
      'ratio ours/raw Node',
      'target (ours)',
    ],
    [
      row(
        `ticks sent of ${planned}`,
        (f) => f.sent,
        (v) => fmt(v),
        `${planned}`,
      ),
      row(
        'missed slots',
        (f) => f.missed,
        (v) => fmt(v),
        '0',
      ),
      row('timer error mean, µs', (f) => f.timerErrMean, us, '≤ 100'),
      row('timer error p99, µs', (f) => f.timerErrP99, us, ''),
      row('timer error max, µs', (f) => f.timerErrMax, us, ''),
      row('RTT median, µs', (f) => f.rttMedian, us, '≤ irtt'),
      row('RTT p99, µs', (f) => f.rttP99, us, ''),
      row('RTT − server time (t3−t2), median, µs', (f) => f.rttNetMedian, us, '≤ irtt'),
      row('RTT − server time (t3−t2), p99, µs', (f) => f.rttNetP99, us, ''),
      row(
        'lost',
        (f) => f.lost,
        (v) => fmt(v),
        '0',
      ),
    ],
  );
  const ours = measured.get('ours')!;
  const part = (pick: (b: NonNullable<Figures['breakdown']>) => number) =>
    us(median(ours.map((f) => pick(f.breakdown!))));
  console.log(
    `ours (spinMs 1) RTT breakdown, medians from the sidecar: client→server t2−t1 ${part((b) => b.upMs)} µs, server t3−t2 ${part((b) => b.serverMs)} µs, server→client t4−t3 ${part((b) => b.downMs)} µs, client overhead outside t1..t4 ${part((b) => b.clientOverheadMs)} µs`,
  );
  const irtt = (measured.get('irtt') ?? []) as ReturnType<typeof irttFigures>[];
  if (irtt.length) {
    console.log(
      `irtt: timer error stddev ${us(medianOf(irtt, (f) => f.timerErrStddevMs))} µs (irtt gives no percentile); its RTT excludes server processing (mean ${us(medianOf(irtt, (f) => f.serverProcessingMeanMs))} µs)`,
    );
  }
  writeResults('tickFidelity', {
    durationMs,
    intervalMs,
    runs,
    irttVersion,
    configurations: Object.fromEntries(
      configs.map((c) => [
        c.key,
        {
          label: c.label,
          runs: measured
            .get(c.key)!
            .map(({ summary: _s, ...f }: Figures & { summary?: unknown }) => f),
        },
      ]),
    ),
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
